import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { importCompleted } from '../events/builders.ts';
import { publishOrThrow } from '../events/publisher.ts';
import { maskPhonesInText } from '../imports/mask.ts';
import { toBeijingIso } from '../time.ts';
import type { DepsOf } from './deps.ts';
import { type ImportJob, importCounts } from './import-store.ts';
import type { ChunkMessage } from './imports.ts';

export interface WorkerOptions {
  /** The queue's maxReceiveCount: on the last receive a failing chunk is marked failed. @default 5 */
  maxReceiveCount?: number;
  /** Time kept back to mark and answer after a chunk's byrobot call is cut off. @default 5000 */
  reserveMs?: number;
  /** A chunk is begun only with this much time left before the reserve (one byrobot timeout). @default 12000 */
  minChunkMs?: number;
}

/** The function's time left (Lambda's context.getRemainingTimeInMillis); unbounded in tests. */
type Remaining = () => number;

/**
 * The import worker: one SQS message is one chunk. A chunk is imported at most once into the job's
 * counts (a conditional update on its item), byrobot itself refuses a phone twice in a task, and a
 * chunk that fails on its last receive is marked failed before SQS moves it, rows and all, to the
 * dead-letter queue. Failures are reported per message (ReportBatchItemFailures).
 */
export async function processImportBatch(
  event: SQSEvent,
  deps: DepsOf<'import-worker'>,
  options: WorkerOptions = {},
  remaining: Remaining = () => Number.POSITIVE_INFINITY,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  const reserve = options.reserveMs ?? 5000;
  for (const record of event.Records) {
    // Stop taking chunks before the function's time runs out: a timeout kills the function before
    // any catch runs, and a chunk on its last receive would reach the dead letters still `pending`.
    if (remaining() < reserve + (options.minChunkMs ?? 12_000)) {
      await notAttempted(record, deps, options).catch(() => undefined);
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      // byrobot's call (retries included) is cut off at the reserve, so its failure is marked.
      await processChunk(record, deps, options, AbortSignal.timeout(Math.max(1, remaining() - reserve)));
    } catch (error) {
      deps.logger.warn('chunk not imported; SQS will redeliver it', {
        messageId: record.messageId,
        error: maskPhonesInText(String((error as Error)?.message ?? error)),
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  // Always recorded (0 included): the dashboard shows chunk failures, and a batch that imported
  // nothing still publishes a metric rather than Powertools' "no application metrics" warning.
  deps.metrics.addMetric('ImportChunksFailed', MetricUnit.Count, failures.length);
  return { batchItemFailures: failures };
}

const lastReceive = (record: SQSRecord, options: WorkerOptions) =>
  Number(record.attributes?.ApproximateReceiveCount ?? 1) >= (options.maxReceiveCount ?? 5);

/** A chunk left for lack of time goes back to the queue; on its last receive it is marked failed first. */
async function notAttempted(
  record: SQSRecord,
  deps: DepsOf<'import-worker'>,
  options: WorkerOptions,
): Promise<void> {
  if (!lastReceive(record, options)) return;
  const message = JSON.parse(record.body) as ChunkMessage;
  const reason = 'not attempted on its last delivery: the function was running out of time';
  if (await deps.imports.markChunkFailed(message.importId, message.chunk, reason)) {
    const job = await deps.imports.countChunk(
      message.importId,
      { chunk: message.chunk, rows: message.rows.length },
      { as: 'failed' },
    );
    await maybeFinish(job, deps);
  }
}

async function processChunk(
  record: SQSRecord,
  deps: DepsOf<'import-worker'>,
  options: WorkerOptions,
  signal: AbortSignal,
): Promise<void> {
  const message = JSON.parse(record.body) as ChunkMessage;
  const chunk = await deps.imports.chunk(message.importId, message.chunk);
  if (!chunk) throw new Error(`chunk ${message.chunk} of ${message.importId} is unknown`);
  if (chunk.status === 'done') {
    // A redelivery of a chunk already imported: counting it, or finishing the job, may be what a
    // crash cut short last time (both are idempotent).
    const job = await deps.imports.countChunk(message.importId, chunk, {
      as: 'done',
      imported: chunk.imported ?? 0,
      repeats: chunk.repeats ?? 0,
      variableFailures: chunk.variableFailures ?? 0,
    });
    await maybeFinish(job, deps);
    return;
  }
  const byrobot = await deps.byrobot();
  let summary: Awaited<ReturnType<typeof byrobot.importCustomers>>;
  try {
    summary = await byrobot.importCustomers(
      {
        companyId: message.companyId,
        taskId: message.taskId,
        customers: message.rows.map(({ name, phone, properties }) =>
          properties ? { name, phone, properties } : { name, phone },
        ),
      },
      { signal },
    );
  } catch (error) {
    if (
      lastReceive(record, options) &&
      (await deps.imports.markChunkFailed(message.importId, message.chunk, String((error as Error).message)))
    ) {
      const job = await deps.imports.countChunk(message.importId, chunk, { as: 'failed' });
      await maybeFinish(job, deps);
    }
    throw error;
  }
  const outcome = {
    imported: summary.successNum ?? message.rows.length,
    repeats: summary.repeatNum ?? 0,
    variableFailures: summary.placeFailNum ?? 0,
  };
  const before = await deps.imports.markChunkDone(message.importId, message.chunk, outcome);
  // Another delivery of this chunk won the race and counts it with its own numbers.
  if (before === null) return;
  const job = await deps.imports.countChunk(message.importId, chunk, { as: 'done', ...outcome });
  deps.metrics.addMetric('ImportRowsImported', MetricUnit.Count, outcome.imported);
  await maybeFinish(job, deps);
}

async function maybeFinish(job: ImportJob, deps: DepsOf<'import-worker'>): Promise<void> {
  const open = job.status === 'accepted' || job.status === 'queueing';
  if (job.chunksSucceeded + job.chunksFailed < job.chunksTotal || !open) return;
  const outcome =
    job.chunksFailed === 0 ? 'completed' : job.chunksSucceeded === 0 ? 'failed' : 'completed_with_errors';
  const detectedAt = toBeijingIso(deps.now?.() ?? Date.now());
  const event = importCompleted(
    {
      companyId: job.companyId,
      taskId: job.taskId,
      taskName: job.taskName,
      importId: job.importId,
      detectedAt,
    },
    {
      outcome,
      counts: importCounts(job),
      chunks: { total: job.chunksTotal, succeeded: job.chunksSucceeded, failed: job.chunksFailed },
    },
  );
  // Publish first, then close the job: a failed publish fails the message, whose redelivery comes
  // back here. Two workers finishing together both publish the same eventId (at least once).
  await publishOrThrow(deps.publish, [event]);
  await deps.imports.finish(job.importId, outcome, detectedAt);
}

/** The import worker's Lambda handler: one chunk per SQS message, partial batch failures. */
export function importWorkerHandler(deps: DepsOf<'import-worker'>, options: WorkerOptions = {}) {
  return middy<SQSEvent>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(deps.metrics))
    .handler((event: SQSEvent, context) =>
      processImportBatch(event, deps, options, () => context.getRemainingTimeInMillis()),
    );
}
