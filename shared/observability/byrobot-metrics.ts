import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttemptInfo, ByrobotClient } from '../byrobot/client.ts';

/**
 * `ByrobotErrors`: byrobot attempts that did not succeed, by `Outcome` (`code:401`, `timeout`, …),
 * with the function's `service` and `stage` dimensions. Every function that calls byrobot emits it
 * per attempt, as the poller does (shared/poller/metrics.ts), so the stage-wide alarms
 * (infra/constructs/operations.ts) see a refusal wherever it happens, the import worker included.
 */
export const BYROBOT_ERRORS_METRIC = 'ByrobotErrors';

export function recordByrobotAttempt(metrics: Metrics, attempt: AttemptInfo): void {
  if (attempt.outcome === 'ok') return;
  const single = metrics.singleMetric();
  single.addDimension('Outcome', attempt.outcome);
  single.addMetric(BYROBOT_ERRORS_METRIC, MetricUnit.Count, 1);
}

/**
 * The same byrobot client factory, each client it makes observed once: its failed attempts go to
 * `metrics` as ByrobotErrors. createApiDeps wraps the factory every API entry and the worker pass.
 */
export function withByrobotErrorMetrics(
  factory: () => Promise<ByrobotClient>,
  metrics: Metrics,
): () => Promise<ByrobotClient> {
  const observed = new WeakSet<ByrobotClient>();
  return async () => {
    const client = await factory();
    if (!observed.has(client)) {
      observed.add(client);
      client.observeAttempts((attempt) => recordByrobotAttempt(metrics, attempt));
    }
    return client;
  };
}
