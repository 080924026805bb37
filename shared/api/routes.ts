import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as v from 'valibot';
import { workingHoursWarnings } from '../byrobot/create-task.ts';
import { callCompleted } from '../events/builders.ts';
import { allowsCompany } from '../http/auth.ts';
import { problems } from '../http/problem.ts';
import { type ApiEvent, type ApiResult, json } from '../http/types.ts';
import { pathId, validate } from '../http/validate.ts';
import { toBeijingIso } from '../time.ts';
import type { ApiDeps } from './deps.ts';
import { importCounts, QUEUEING_STUCK_MS } from './import-store.ts';
import type { RouteDefinition } from './route.ts';
import { CreateTaskSchema, ImportIdSchema } from './schemas.ts';
import { resolveTaskCompany } from './task-company.ts';

const ACTIONS = ['start', 'pause', 'stop'] as const;
type Action = (typeof ACTIONS)[number];

/** `POST /tasks/{taskId}/start|pause|stop` */
export async function taskAction(event: ApiEvent, deps: ApiDeps<'byrobot'>): Promise<ApiResult> {
  const taskId = pathId(event.pathParameters?.taskId, 'taskId');
  const action = event.rawPath.split('/').pop() as Action;
  if (!ACTIONS.includes(action)) throw problems.notFound(`no action ${action}`);
  const byrobot = await deps.byrobot();
  const { companyId } = await resolveTaskCompany(taskId, event.principal, byrobot, deps);
  // With the company, a retry after a lost answer is settled by the task's status (shared/byrobot/client.ts).
  const message = await byrobot[action](taskId, { companyId });
  const task = await byrobot.getTaskDetail({ companyId, taskId });
  deps.metrics.addMetric(`Task${action[0]!.toUpperCase()}${action.slice(1)}`, MetricUnit.Count, 1);
  return json(200, {
    taskId,
    companyId,
    action,
    message,
    task: { name: task.name, status: task.status, counts: task.counts },
  });
}

/**
 * `POST /tasks`: validated here for what byrobot would refuse, then created (never retried blindly;
 * the client derives a missing callType from the lines). Hours outside byrobot's documented window
 * are created as asked and answered with `warnings`.
 */
export async function createTask(event: ApiEvent, deps: ApiDeps<'byrobot'>): Promise<ApiResult> {
  const input = validate(CreateTaskSchema, event.jsonBody, 'body');
  if (!allowsCompany(event.principal, input.companyId))
    throw problems.forbidden(`this key may not act on company ${input.companyId}`);
  const byrobot = await deps.byrobot();
  // A company our app key does not manage is the caller's mistake: byrobot would answer 403, which
  // reads as our credentials failing (a 502 and the operators' alarm). One read tells them apart.
  if (!(await byrobot.getCompanys()).some((c) => c.companyId === input.companyId)) {
    const message = `byrobot's app key for this bridge manages no company ${input.companyId}`;
    throw problems.unprocessable(message, [{ field: 'body.companyId', rule: 'known-company', message }]);
  }
  const taskId = await byrobot.createTask(input);
  deps.metrics.addMetric('TasksCreated', MetricUnit.Count, 1);
  return json(
    201,
    { taskId, companyId: input.companyId, warnings: workingHoursWarnings(input) },
    { location: `/tasks/${taskId}` },
  );
}

/** `GET /imports/{importId}`: progress, counts and per-row outcomes of an import. */
export async function getImport(event: ApiEvent, deps: ApiDeps): Promise<ApiResult> {
  const importId = event.pathParameters?.importId ?? '';
  if (!v.is(ImportIdSchema, importId)) {
    throw problems.badRequest('importId is not an import id', [
      { field: 'path.importId', rule: 'format', message: 'imp_…' },
    ]);
  }
  const job = await deps.imports.job(importId);
  if (!job || !allowsCompany(event.principal, job.companyId))
    throw problems.notFound(`import ${importId} not found`);
  const chunks = await deps.imports.chunks(importId);
  const age = (deps.now?.() ?? Date.now()) - Date.parse(job.createdAt);
  return json(200, {
    importId,
    status: job.status,
    // Its chunks were never all queued: the sender died mid-way (docs/runbook.md, "A stuck import").
    stuck: job.status === 'queueing' && age > QUEUEING_STUCK_MS,
    taskId: job.taskId,
    companyId: job.companyId,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt ?? null,
    counts: importCounts(job),
    chunks: {
      total: job.chunksTotal,
      succeeded: job.chunksSucceeded,
      failed: job.chunksFailed,
      pending: job.chunksTotal - job.chunksSucceeded - job.chunksFailed,
      list: chunks.map((c) => ({
        chunk: c.chunk,
        status: c.status,
        rows: c.rows,
        firstIndex: c.firstIndex,
        lastIndex: c.lastIndex,
        imported: c.imported ?? null,
        error: c.lastError ?? null,
      })),
    },
    invalid: job.invalid,
    duplicates: job.duplicates,
    warnings: job.warnings,
    problemsTruncated: job.problemsTruncated,
  });
}

/** `GET /calls/{callInstanceId}`: one call, normalised exactly as Call Completed carries it. */
export async function getCall(event: ApiEvent, deps: ApiDeps<'byrobot'>): Promise<ApiResult> {
  const callInstanceId = pathId(event.pathParameters?.callInstanceId, 'callInstanceId');
  const byrobot = await deps.byrobot();
  const call = await byrobot.phoneLogInfo(callInstanceId);
  if (call.companyId === null || !allowsCompany(event.principal, call.companyId))
    throw problems.notFound(`call ${callInstanceId} not found`);
  const { detail } = callCompleted(
    {
      companyId: call.companyId,
      detectedAt: toBeijingIso(deps.now?.() ?? Date.now()),
      taskId: call.taskId ?? 0,
      taskName: call.taskName ?? '',
    },
    call,
    Number.POSITIVE_INFINITY,
  );
  const { eventId: _eventId, detectedAt: _detectedAt, ...body } = detail;
  return json(200, body);
}

/** `GET /health`: liveness, and whether the configuration loads. */
export async function health(_event: ApiEvent, deps: ApiDeps): Promise<ApiResult> {
  await deps.apiKeys();
  return json(200, { status: 'ok', time: toBeijingIso(deps.now?.() ?? Date.now()) });
}

export const taskActionRoute: RouteDefinition<'task-action'> = {
  name: 'task-action',
  run: (deps) => (e) => taskAction(e, deps),
};
export const createTaskRoute: RouteDefinition<'create-task'> = {
  name: 'create-task',
  run: (deps) => (e) => createTask(e, deps),
};
export const getImportRoute: RouteDefinition<'get-import'> = {
  name: 'get-import',
  run: (deps) => (e) => getImport(e, deps),
};
export const getCallRoute: RouteDefinition<'get-call'> = {
  name: 'get-call',
  run: (deps) => (e) => getCall(e, deps),
};
export const healthRoute: RouteDefinition<'health'> = {
  name: 'health',
  run: (deps) => (e) => health(e, deps),
};
