import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as v from 'valibot';
import type { DepsOf } from '../api/deps.ts';
import { coded, TASK_STATUS, TERMINAL_TASK_STATUSES } from '../byrobot/enums.ts';
import { ByrobotNotFoundError } from '../byrobot/errors.ts';
import { type CallDetail, CallDetailSchema, normalizeCallDetail } from '../byrobot/models.ts';
import { type Announcement, announceCalls, CallLedger, type LedgerAttempt } from '../calls/ledger.ts';
import {
  type BridgeEvent,
  callCompleted,
  callIntentChanged,
  inboundCallCompleted,
  taskCompleted,
  taskStatusChanged,
} from '../events/builders.ts';
import { publishOrThrow } from '../events/publisher.ts';
import { maskPhonesInText } from '../imports/mask.ts';
import { statusOfSnapshot, taskOfSnapshot } from '../poller/snapshot.ts';
import { PollerStore } from '../poller/store.ts';
import { beijingToIso, toBeijingIso } from '../time.ts';
import { type Callback, parseCallback } from './parse.ts';
import type { CallbackMessage } from './queue.ts';

/*
 * The callback processor: SQS (the receiver's queue) → the call ledger and EventBridge. One message
 * is one callback; a message that fails is redelivered by SQS (and after 5 receives lands in the
 * DLQ), so every step is safe to repeat: events carry deterministic ids, announcements go through
 * the ledger's conditional writes (shared/calls/ledger.ts), snapshots through their version.
 * docs/architecture.md, "Push callbacks", says how this and the reconciling poller fit together.
 */

export interface ProcessorOptions {
  /** How long a ledger claim holds before another path may take it over. @default 60000 */
  claimMs?: number;
  /** Room for a call's detail: 256 KB less Source, DetailType and slack. @default 261120 */
  maxDetailBytes?: number;
}

type Deps = DepsOf<'process-callbacks'>;

/** What one callback came to, for the metrics and the tests. */
export type Outcome = 'published' | 'duplicate' | 'stale' | 'out-of-order' | 'task-unknown' | 'unprocessable';

/** The message could not be finished now: SQS redelivers it (another claimant may yet fail). */
class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}

const reason = (error: unknown) =>
  maskPhonesInText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);

const isTerminal = (code: number) => TERMINAL_TASK_STATUSES.has(code);

export function createCallbackProcessor(deps: Deps, options: ProcessorOptions = {}) {
  const ledger = new CallLedger(deps.doc, deps.tableName, {
    claimMs: options.claimMs,
    now: deps.now,
  });
  const store = new PollerStore(deps.doc, deps.tableName);
  const maxDetailBytes = options.maxDetailBytes ?? 256 * 1024 - 1024;
  const nowMs = () => deps.now?.() ?? Date.now();
  const counted = (name: string, dataType: string, value = 1) => {
    const metric = deps.metrics.singleMetric();
    metric.addDimension('dataType', dataType);
    metric.addMetric(name, MetricUnit.Count, value);
  };

  /** Announces one call through the ledger; throws RetryLater while another path holds its claim. */
  async function announceOne(announcement: Announcement, what: string): Promise<Outcome> {
    const report = await announceCalls(ledger, [announcement], 'push', deps.publish);
    if (report.inFlight.length > 0) throw new RetryLater(`${what} is being announced by another path`);
    return report.published.length > 0 ? 'published' : 'duplicate';
  }

  /** A call record: the same Call Completed as the poller's, announced once through the ledger. */
  async function call(cb: Extract<Callback, { kind: 'call' }>): Promise<Outcome> {
    const detail = normalizeCallDetail(v.parse(CallDetailSchema, cb.data));
    const taskId = detail.taskId!;
    const event = callCompleted(
      {
        companyId: cb.companyId,
        detectedAt: toBeijingIso(nowMs()),
        taskId,
        taskName: detail.taskName ?? '',
      },
      detail,
      maxDetailBytes,
    );
    const outcome = await announceOne(
      {
        ref: {
          companyId: cb.companyId,
          callInstanceId: detail.callInstanceId,
          attempt: detail.redial.times,
          taskId,
        },
        event,
        intentLevel: detail.intentLevel,
        extra: { taskName: event.detail.taskName, properties: detail.properties },
      },
      `call ${detail.callInstanceId}`,
    );
    if (outcome === 'published') deps.metrics.addMetric('CallsAnnouncedByPush', MetricUnit.Count, 1);
    return outcome;
  }

  /** An inbound call: its own detail type, announced once (ledger key INBOUND#, attempt 0). */
  async function inbound(cb: Extract<Callback, { kind: 'inbound' }>): Promise<Outcome> {
    const si = cb.data.sceneInstance as Record<string, unknown>;
    // The inbound body is the outbound one with a few names changed: normalise it the same way.
    const detail = normalizeCallDetail(
      v.parse(CallDetailSchema, {
        ...cb.data,
        sceneInstance: { ...si, callInstanceId: cb.inboundInstanceId, callerPhone: null },
      }),
    );
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    const transferCode = typeof si.transferStatus === 'number' ? si.transferStatus : null;
    const event = inboundCallCompleted(
      { companyId: cb.companyId, detectedAt: toBeijingIso(nowMs()), taskId: detail.taskId },
      detail,
      {
        calleePhone: text(si.calleePhone),
        transfer: {
          status:
            transferCode === null
              ? null
              : coded({ 0: 'no transfer', 1: 'transferred', 2: 'transfer failed' }, transferCode),
          info: text(si.transferInfo),
        },
      },
      maxDetailBytes,
    );
    return announceOne(
      {
        ref: {
          companyId: cb.companyId,
          callInstanceId: cb.inboundInstanceId,
          attempt: 0,
          taskId: null,
          inbound: true,
        },
        event,
        intentLevel: detail.intentLevel,
        extra: { properties: detail.properties },
      },
      `inbound call ${cb.inboundInstanceId}`,
    );
  }

  /**
   * A manual re-grade: `Call Intent Changed`, its id from the call's change sequence. Publish with
   * seq + 1, then move the intent state on (optimistic): a crash in between republishes the same id.
   * A re-grade to the level the call has now is a duplicate; one older than the state (both with
   * byrobot's gmtModified) is stale: counted and logged, never rolled back.
   */
  async function intent(cb: Extract<Callback, { kind: 'intent' }>): Promise<Outcome> {
    const [attempts, state] = await Promise.all([
      ledger.attempts(cb.companyId, cb.callInstanceId),
      ledger.intent(cb.companyId, cb.callInstanceId),
    ]);
    const announced = attempts.filter((a) => a.state === 'announced');
    const latest: LedgerAttempt | undefined = announced[announced.length - 1];
    const previousLevel = state?.level ?? latest?.intentLevel ?? null;
    const changedAt = beijingToIso(cb.gmtModified);
    if (previousLevel === cb.level) return 'duplicate';
    if (state?.changedAt && changedAt && changedAt < state.changedAt) {
      deps.logger.info('stale intent change ignored (older than the level the call has now)', {
        companyId: cb.companyId,
        callInstanceId: cb.callInstanceId,
        changedAt,
        stateChangedAt: state.changedAt,
      });
      return 'stale';
    }
    let taskId = latest?.taskId ?? attempts[attempts.length - 1]?.taskId ?? null;
    let properties = latest?.item.properties as Record<string, unknown> | undefined;
    if (!properties) {
      // Not announced by us (before the bridge, or the reconciler has not read it): one read.
      try {
        const read: CallDetail = await (await deps.byrobot()).phoneLogInfo(cb.callInstanceId);
        properties = read.properties;
        taskId ??= read.taskId;
      } catch (error) {
        if (!(error instanceof ByrobotNotFoundError)) throw error;
        properties = {};
      }
    }
    const seq = (state?.seq ?? 0) + 1;
    const event = callIntentChanged({
      seq,
      companyId: cb.companyId,
      taskId,
      callInstanceId: cb.callInstanceId,
      previousLevel: previousLevel as typeof cb.level | null,
      level: cb.level,
      changedAt,
      detectedAt: toBeijingIso(nowMs()),
      properties,
      changedBy: cb.changedBy,
    });
    await publishOrThrow(deps.publish, [event]);
    const committed = await ledger.commitIntent(
      cb.companyId,
      cb.callInstanceId,
      { level: cb.level, seq, changedAt: changedAt ?? state?.changedAt ?? null },
      state?.seq ?? null,
    );
    // Another change was committed meanwhile: redo this one against it (a new seq, or a duplicate).
    if (!committed) throw new RetryLater(`intent state of call ${cb.callInstanceId} moved underneath`);
    return 'published';
  }

  /**
   * JOB_INFO_RESULT: Task Status Changed (and Task Completed on a terminal status) at once, as the
   * poller would have published them: version = snapshot.version + 1, committed with the snapshot's
   * version condition; only status, statusLabel, version, updatedAt and completedAnnounced change.
   */
  async function task(cb: Extract<Callback, { kind: 'task' }>): Promise<Outcome> {
    for (let round = 1; ; round++) {
      const snapshot = await store.snapshot(cb.companyId, cb.taskId);
      if (!snapshot) {
        deps.logger.info('task not yet known; the poller announces it', {
          companyId: cb.companyId,
          taskId: cb.taskId,
        });
        return 'task-unknown';
      }
      if (snapshot.status === cb.status) return 'duplicate';
      // Never roll a task back from an end it reached (a late "paused" after "completed").
      if (snapshot.closed || isTerminal(snapshot.status)) return 'out-of-order';
      const detectedAt = toBeijingIso(nowMs());
      const version = snapshot.version + 1;
      const status = coded(TASK_STATUS, cb.status);
      const name = typeof cb.data.jobName === 'string' ? cb.data.jobName : snapshot.name;
      // An end's final statistics (and the status event's counts) come from the task's detail; the
      // snapshot's counts stay the poller's cursor (a push never moves them).
      const terminal = isTerminal(cb.status);
      const detail = terminal
        ? await (await deps.byrobot()).getTaskDetail({ companyId: cb.companyId, taskId: cb.taskId })
        : null;
      const listed = taskOfSnapshot(snapshot, status, detail?.counts ?? snapshot.counts, name);
      const events: BridgeEvent[] = [
        taskStatusChanged(
          { companyId: cb.companyId, detectedAt, version },
          listed,
          statusOfSnapshot(snapshot),
        ),
      ];
      // The pushed status: the id the poller gives it (deterministic on the terminal code).
      if (detail) events.push(taskCompleted({ companyId: cb.companyId, detectedAt }, { ...detail, status }));
      await publishOrThrow(deps.publish, events);
      const committed = await store.commitSnapshot({
        ...snapshot,
        status: cb.status,
        statusLabel: status.label,
        version,
        updatedAt: detectedAt,
        ...(terminal ? { completedAnnounced: true } : {}),
      });
      if (committed) return 'published';
      if (round >= 2) throw new RetryLater(`snapshot of task ${cb.taskId} kept changing underneath`);
      // The poller committed meanwhile: read again; a status it already announced is a duplicate.
    }
  }

  async function processOne(record: SQSRecord): Promise<void> {
    let message: CallbackMessage;
    try {
      message = JSON.parse(record.body) as CallbackMessage;
    } catch {
      deps.logger.error('callback message is not JSON; dropped', { messageId: record.messageId });
      deps.metrics.addMetric('CallbacksUnprocessable', MetricUnit.Count, 1);
      return;
    }
    const parsed = parseCallback(String(message.body ?? ''));
    if (!parsed.ok) {
      // The receiver queues only what parses: this is a bug or a hand-sent message.
      deps.logger.error('queued callback does not parse; dropped', {
        messageId: record.messageId,
        reason: maskPhonesInText(parsed.reason).slice(0, 300),
      });
      deps.metrics.addMetric('CallbacksUnprocessable', MetricUnit.Count, 1);
      return;
    }
    const cb = parsed.callback;
    const outcome =
      cb.kind === 'call'
        ? await call(cb)
        : cb.kind === 'intent'
          ? await intent(cb)
          : cb.kind === 'inbound'
            ? await inbound(cb)
            : await task(cb);
    counted('CallbacksProcessed', cb.dataType);
    if (outcome === 'duplicate') counted('CallbackDuplicates', cb.dataType);
    if (outcome === 'stale') counted('CallbackStaleIntentChanges', cb.dataType);
    if (outcome === 'out-of-order') counted('CallbackOutOfOrder', cb.dataType);
    if (outcome === 'task-unknown') counted('CallbackTaskNotYetKnown', cb.dataType);
  }

  /** One batch: each message on its own, failures reported per message (ReportBatchItemFailures). */
  return async function processBatch(event: SQSEvent): Promise<SQSBatchResponse> {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await processOne(record);
      } catch (error) {
        (error instanceof RetryLater ? deps.logger.info : deps.logger.warn).call(
          deps.logger,
          'callback not finished; SQS will redeliver it',
          { messageId: record.messageId, error: reason(error) },
        );
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    deps.metrics.addMetric('CallbacksFailed', MetricUnit.Count, failures.length);
    return { batchItemFailures: failures };
  };
}

/** The processor's Lambda handler: one callback per SQS message, partial batch failures. */
export function callbackProcessorHandler(deps: Deps, options: ProcessorOptions = {}) {
  const processBatch = createCallbackProcessor(deps, options);
  return middy<SQSEvent>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(deps.metrics))
    .handler((event: SQSEvent) => processBatch(event));
}
