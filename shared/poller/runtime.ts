import { randomUUID } from 'node:crypto';
import type { AttemptInfo } from '../byrobot/client.ts';
import { byrobotClientOnFirstUse } from '../byrobot/on-first-use.ts';
import { CallLedger } from '../calls/ledger.ts';
import { busPublisherOnFirstUse } from '../events/lazy-publisher.ts';
import { createDocumentClient } from '../store/dynamo.ts';
import { toBeijingDate } from '../time.ts';
import type { PollerConfig } from './config.ts';
import { type CompanyCycleReport, type PollerLogger, pollCompany } from './cycle.ts';
import type { FailedCallbacks } from './reconcile.ts';
import { PollerStore } from './store.ts';

export interface PollRunReport {
  companies: CompanyCycleReport[];
  /** byrobot requests by endpoint and outcome, e.g. `v1/task/getTasks ok`. */
  byrobotRequests: Record<string, number>;
  /** Push callbacks were on (BRIDGE_CALLBACKS=on): the poller reconciled. */
  callbacks: boolean;
  durationMs: number;
}

export interface PollerRuntime {
  run(invocation?: { remainingMs?: () => number }): Promise<PollRunReport>;
}

/**
 * Wires the poller's adapters from configuration once per container: the byrobot client, the
 * DynamoDB store and the EventBridge publisher (its client created on the first publish). Each run
 * polls every configured company in turn.
 */
export function createPollerRuntime(
  config: PollerConfig,
  options: { logger?: PollerLogger; onAttempt?: (a: AttemptInfo) => void; now?: () => Date } = {},
): PollerRuntime {
  const doc = createDocumentClient({ endpoint: config.dynamoEndpoint });
  const store = new PollerStore(doc, config.tableName);
  // Callbacks on: the ledger the callback processor announces through, shared with the poller.
  const callbacks = config.callbacks
    ? { ledger: new CallLedger(doc, config.tableName), graceMs: (config.callbackGraceSeconds ?? 120) * 1000 }
    : undefined;
  let counters: Record<string, number> = {};
  const byrobot = byrobotClientOnFirstUse(config, {
    maxInFlight: config.maxInFlight,
    onAttempt: (a) => {
      const key = `${a.endpoint} ${a.outcome}`;
      counters[key] = (counters[key] ?? 0) + 1;
      options.onAttempt?.(a);
    },
  });
  const publish = busPublisherOnFirstUse(config);

  return {
    async run(invocation = {}) {
      const started = performance.now();
      counters = {};
      const client = await byrobot();
      const companyIds =
        config.companies === 'all' ? (await client.getCompanys()).map((c) => c.companyId) : config.companies;
      const ownerId = randomUUID();
      // byrobot's list of the calls whose push it failed to deliver: whole Beijing days, every page.
      const failedCallbacks: FailedCallbacks | undefined = callbacks
        ? async (companyId, since, { signal }) => {
            const out = [];
            for await (const c of client.undeliveredCallbacks(
              {
                companyId,
                direction: 'outbound',
                startDate: toBeijingDate(since),
                endDate: toBeijingDate(options.now?.() ?? new Date()),
              },
              { signal },
            ))
              out.push({ taskId: c.taskId, callInstanceId: c.callInstanceId });
            return out;
          }
        : undefined;
      const reports: CompanyCycleReport[] = [];
      for (const companyId of companyIds) {
        reports.push(
          await pollCompany(
            companyId,
            {
              byrobot: client,
              store,
              publish,
              remainingMs: invocation.remainingMs,
              logger: options.logger,
              now: options.now,
              callbacks,
              failedCallbacks,
            },
            { ownerId, backfill: config.backfill },
          ),
        );
      }
      return {
        companies: reports,
        byrobotRequests: { ...counters },
        callbacks: callbacks !== undefined,
        durationMs: Math.round(performance.now() - started),
      };
    },
  };
}
