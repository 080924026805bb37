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
import { capProblems } from './import-store.ts';
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
  rows: Array<{ index: number; name: string; phone: string; properties?: Record<string, string> }>;
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
  const claimed =
    body.companyId ??
    (typeof (payload as { companyId?: unknown }).companyId === 'number' ? undefined : undefined);
  const byrobot = await deps.byrobot();
  const { companyId, detail: task } = await resolveTaskCompany(
    taskId,
    event.principal,
    { byrobot, doc: deps.doc, tableName: deps.tableName },
    claimed,
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
  if (prepared.valid.length <= SYNC_IMPORT_LIMIT) {
    const summary = await byrobot.importCustomers({
      companyId,
      taskId,
      customers: prepared.valid.map(({ name, phone, properties }) =>
        properties ? { name, phone, properties } : { name, phone },
      ),
    });
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
    })),
    nowMs,
  );
  await deps.queue.send(
    chunks.map((rows, chunk) => ({
      id: String(chunk),
      body: JSON.stringify({
        importId,
        chunk,
        companyId: job.companyId,
        taskId: job.taskId,
        rows,
      } satisfies ChunkMessage),
    })),
  );
  await deps.imports.markQueued(importId);
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
