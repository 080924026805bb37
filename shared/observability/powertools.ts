import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The `stage` dimension every metric carries (BRIDGE_STAGE, set by infra/constructs/bridge-function.ts;
 * `local` off AWS). Stages share one namespace and may share an account: without it, dev's polls
 * would keep prod's "poller silent" alarm quiet and dev's refusals would page prod.
 */
export const metricsStage = (env: NodeJS.ProcessEnv = process.env): string => env.BRIDGE_STAGE || 'local';

/** One Logger and one Metrics per function, named for the service; levels from POWERTOOLS_* env. */
export function createObservability(serviceName: string) {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({
    serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ByrobotBridge',
    defaultDimensions: { stage: metricsStage() },
  });
  return { logger, metrics };
}
