import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ByrobotClient } from '../byrobot/client.ts';
import { problems } from '../http/problem.ts';
import type { ApiEvent, ApiResult } from '../http/types.ts';
import { json } from '../http/types.ts';
import { pathId, validate } from '../http/validate.ts';
import { chunkRows } from '../imports/chunk.ts';
import { applyMapping } from '../imports/mapping.ts';
import { type PreparedImport, prepareImport } from '../imports/prepare.ts';
import { toBeijingIso } from '../time.ts';
import type { ApiDeps } from './deps.ts';
import { type ChunkRows, capProblems, QUEUEING_STUCK_MS, queueingDay } from './import-store.ts';
import type { RouteDefinition } from './route.ts';
import { ImportRequestSchema } from './schemas.ts';
import { resolveTaskCompany } from './task-company.ts';

/** Up to this many valid rows are imported while the caller waits; more go through the queue. */
export const SYNC_IMPORT_LIMIT = 1000;
/** A chunk travels whole in its queue message (SQS takes 256 KB), so a dead letter keeps its rows. */
export const CHUNK = { maxRows: 1000, maxBytes: 200_000 } as const;

/** What the import routes' logic uses. */
type ImportDeps = ApiDeps<'byrobot' | 'queue'>;

export interface ChunkMessage {
  importId: string;
  chunk: number;
  companyId: number;
  taskId: number;
  rows: ChunkRows;
}

/** `POST /tasks/{taskId}/customers` and the webhook variant: validate, then import now or queue. */
export async function importCustomers(event: ApiEvent, deps: ImportDeps): Promise<ApiResult> {
  const taskId = pathId(event.pathParameters?.taskId, 'taskId');
  const source = event.principal.source;
  let payload: unknown = event.jsonBody;
  if (source?.mapping) {
    const mapped = applyMapping(source.mapping, payload);
    if (!mapped.ok)
      throw problems.unprocessable(mapped.error, [{ field: 'body', rule: 'mapping', message: mapped.error }]);
    payload = mapped.value;
  }
  const body = validate(ImportRequestSchema, payload, 'body');
  const byrobot = await deps.byrobot();
  const { companyId, detail: task } = await resolveTaskCompany(
    taskId,
    event.principal,
    byrobot,
    deps,
    body.companyId,
  );
  const requiredVariables =
    task.sceneDefId !== null ? await sceneVariables(deps, byrobot, companyId, task.sceneDefId) : [];
  const prepared = prepareImport(body.customers, {
    requiredVariables,
    onMissingVariables: body.onMissingVariables ?? source?.onMissingVariables ?? 'pass',
  });
  deps.metrics.addMetric('ImportRowsReceived', MetricUnit.Count, prepared.counts.received);
  if (prepared.valid.length === 0) {
    throw problems.unprocessable(
      'no row could be imported',
      prepared.invalid.slice(0, 100).map((p) => ({
        field: `body.customers.${p.index}.${p.field.replace(/^row$/, '')}`.replace(/\.$/, ''),
        rule: p.rule,
        message: p.message,
      })),
    );
  }
  // Past the deadline the caller has its 503 (shared/http/stack.ts): nothing more is begun.
  event.deadline?.throwIfAborted();
  if (prepared.valid.length <= SYNC_IMPORT_LIMIT) {
    const summary = await byrobot.importCustomers(
      {
        companyId,
        taskId,
        customers: prepared.valid.map(({ name, phone, properties }) =>
          properties ? { name, phone, properties } : { name, phone },
        ),
      },
      { signal: event.deadline },
    );
    deps.metrics.addMetric(
      'ImportRowsImported',
      MetricUnit.Count,
      summary.successNum ?? prepared.valid.length,
    );
    return json(200, {
      importId: null,
      status: 'completed',
      taskId,
      companyId,
      counts: counts(prepared, summary.successNum, summary.repeatNum, summary.placeFailNum),
      // Capped as the queued path's are: the whole answer must fit the idempotency record.
      ...capProblems(prepared),
    });
  }
  return queueImport(deps, { taskId, companyId, taskName: task.name, prepared });
}

function counts(
  prepared: PreparedImport,
  imported: number | null,
  repeats: number | null,
  variableFailures: number | null,
) {
  return {
    received: prepared.counts.received,
    valid: prepared.counts.valid,
    duplicates: prepared.counts.duplicates,
    invalid: prepared.counts.invalid,
    imported,
    repeats,
    variableFailures,
  };
}

async function sceneVariables(
  deps: ImportDeps,
  byrobot: ByrobotClient,
  companyId: number,
  sceneDefId: number,
): Promise<string[]> {
  const key = `${companyId}:${sceneDefId}`;
  let found = deps.sceneVariables.get(key);
  if (!found) {
    found = byrobot.getSceneVariables({ companyId, sceneDefId });
    found.catch(() => deps.sceneVariables.delete(key));
    deps.sceneVariables.set(key, found);
  }
  return found;
}

/** Sortable and unguessable: time first (base36), then randomness. */
function newImportId(nowMs: number): string {
  return `imp_${nowMs.toString(36)}${randomBytes(10).toString('hex')}`;
}

async function queueImport(
  deps: ImportDeps,
  job: { taskId: number; companyId: number; taskName: string; prepared: PreparedImport },
): Promise<ApiResult> {
  const nowMs = deps.now?.() ?? Date.now();
  const importId = newImportId(nowMs);
  const chunks = chunkRows(job.prepared.valid, CHUNK);
  const { prepared } = job;
  const listed = capProblems(prepared);
  await deps.imports.create(
    {
      importId,
      taskId: job.taskId,
      companyId: job.companyId,
      taskName: job.taskName,
      // `accepted` only once the last chunk message is sent (markQueued below): a sender that dies
      // in between leaves a job GET /imports/{id} shows as stuck, not one that looks merely slow.
      status: 'queueing',
      createdAt: toBeijingIso(nowMs),
      received: prepared.counts.received,
      accepted: prepared.counts.valid,
      duplicatesCount: prepared.counts.duplicates,
      invalidCount: prepared.counts.invalid,
      chunksTotal: chunks.length,
      chunksSucceeded: 0,
      chunksFailed: 0,
      rowsFailed: 0,
      imported: 0,
      repeats: 0,
      variableFailures: 0,
      ...listed,
    },
    chunks.map((rows, chunk) => ({
      chunk,
      status: 'pending',
      rows: rows.length,
      firstIndex: rows[0]!.index,
      lastIndex: rows[rows.length - 1]!.index,
      pendingRows: rows,
    })),
    nowMs,
  );
  await sendChunks(
    deps,
    { importId, companyId: job.companyId, taskId: job.taskId },
    chunks.map((rows, chunk) => ({ chunk, rows })),
  );
  await deps.imports.markQueued(importId, nowMs);
  deps.metrics.addMetric('ImportsQueued', MetricUnit.Count, 1);
  return json(
    202,
    {
      importId,
      status: 'accepted',
      taskId: job.taskId,
      companyId: job.companyId,
      counts: counts(prepared, null, null, null),
      ...listed,
    },
    { location: `/imports/${importId}` },
  );
}

export const importCustomersRoute: RouteDefinition<'import-customers'> = {
  name: 'import-customers',
  run: (deps) => (e) => importCustomers(e, deps),
};
export const webhookCustomersRoute: RouteDefinition<'webhook-customers'> = {
  name: 'webhook-customers',
  run: (deps) => (e) => importCustomers(e, deps),
};

/** One SendMessageBatch (SQS takes ten) per call of `send`, each followed by the job's progress. */
const BATCH = 10;

async function sendChunks(
  deps: ApiDeps<'queue'>,
  job: { importId: string; companyId: number; taskId: number },
  chunks: ReadonlyArray<{ chunk: number; rows: ChunkRows }>,
): Promise<void> {
  for (let i = 0; i < chunks.length; i += BATCH) {
    const batch = chunks.slice(i, i + BATCH);
    await deps.queue.send(
      batch.map(({ chunk, rows }) => ({
        id: String(chunk),
        body: JSON.stringify({ ...job, chunk, rows } satisfies ChunkMessage),
      })),
    );
    // A crash right here sends this batch again from the sweeper: the worker skips a chunk done.
    await deps.imports.markSent(job.importId, batch[batch.length - 1]!.chunk + 1);
  }
}

export interface SweepReport {
  /** Jobs found `queueing` past the grace period whose unsent chunks this sweep sent. */
  requeued: Array<{ importId: string; chunks: number }>;
}

/**
 * Completes the imports whose sender died between writing the job and its last SendMessageBatch:
 * a job `queueing` for QUEUEING_STUCK_MS (the API function's timeout is 29 s, so its sender is
 * gone) gets the chunks after `queuedChunks` that are still pending sent from their stored rows,
 * then becomes `accepted`. Found by the IMPORTQ# items of today and yesterday (UTC; the sweep runs
 * every few minutes). No chunk is imported twice: a re-sent chunk that was in fact queued is done
 * by then or will be, and the worker skips a chunk that is done (shared/api/worker.ts).
 */
export async function sweepStuckImports(deps: ApiDeps<'queue'>, nowMs: number): Promise<SweepReport> {
  const report: SweepReport = { requeued: [] };
  const days = [queueingDay(nowMs - 24 * 3600_000), queueingDay(nowMs)];
  for (const day of new Set(days)) {
    for (const { importId, at } of await deps.imports.queueingOn(day)) {
      if (nowMs - at < QUEUEING_STUCK_MS) continue;
      const job = await deps.imports.job(importId);
      if (job?.status !== 'queueing') {
        // Finished by its workers, or its sender got as far as `accepted` but not the delete.
        await deps.imports.dropQueueing(importId, at);
        continue;
      }
      if (!(await deps.imports.claimStuck(importId, nowMs, QUEUEING_STUCK_MS))) continue;
      const from = job.queuedChunks ?? 0;
      const unsent = (await deps.imports.chunks(importId, { withRows: true })).filter(
        (c): c is typeof c & { pendingRows: ChunkRows } =>
          c.chunk >= from && c.status === 'pending' && c.pendingRows !== undefined,
      );
      deps.logger.warn('import stuck in queueing: sending the chunks its sender did not', {
        importId,
        queuedChunks: from,
        resent: unsent.length,
      });
      deps.metrics.addMetric('ImportsStuck', MetricUnit.Count, 1);
      deps.metrics.addMetric('ImportChunksRequeued', MetricUnit.Count, unsent.length);
      await sendChunks(
        deps,
        { importId, companyId: job.companyId, taskId: job.taskId },
        unsent.map(({ chunk, pendingRows }) => ({ chunk, rows: pendingRows })),
      );
      await deps.imports.markQueued(importId, at);
      report.requeued.push({ importId, chunks: unsent.length });
    }
  }
  // Always recorded (0 included): the alarm reads a sum, and a quiet sweep is not missing data.
  if (report.requeued.length === 0) deps.metrics.addMetric('ImportsStuck', MetricUnit.Count, 0);
  return report;
}
