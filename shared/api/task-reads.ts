import * as v from 'valibot';
import type { DoneCall, Task, TaskDetail } from '../byrobot/models.ts';
import { allowsCompany } from '../http/auth.ts';
import { problems } from '../http/problem.ts';
import { type ApiEvent, type ApiResult, json } from '../http/types.ts';
import { pathId, validate } from '../http/validate.ts';
import type { ApiDeps } from './deps.ts';
import type { RouteDefinition } from './route.ts';
import { resolveTaskCompany } from './task-company.ts';

/*
 * The reading routes a CRM integrator needs: GET /tasks, GET /tasks/{taskId}, GET /tasks/{taskId}/calls.
 * Each answers only for the key's companies (a task of another company is 404, as for the actions).
 */

const whole = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,16}$/, `${name} is a whole number`),
    v.transform(Number),
    v.minValue(min, `${name} is at least ${min}`),
    v.maxValue(max, `${name} is at most ${max}`),
  );

/** byrobot's objects without the byrobot original each carries (`raw`). */
const withoutRaw = <T extends { raw?: unknown }>({ raw: _raw, ...rest }: T) => rest;

const TasksQuery = v.strictObject({
  companyId: v.optional(whole('companyId', 1, Number.MAX_SAFE_INTEGER)),
  status: v.optional(whole('status', 0, 99)),
  name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100))),
  pageNum: v.optional(whole('pageNum', 1, 100_000)),
  pageSize: v.optional(whole('pageSize', 1, 100)),
});

/** `GET /tasks?companyId=&status=&name=&pageNum=&pageSize=`: one page of a company's tasks. */
export async function listTasks(event: ApiEvent, deps: ApiDeps<'byrobot'>): Promise<ApiResult> {
  const query = validate(TasksQuery, event.queryStringParameters ?? {}, 'query');
  const { companies } = event.principal;
  const companyId =
    query.companyId ?? (companies !== '*' && companies.length === 1 ? companies[0] : undefined);
  if (companyId === undefined)
    throw problems.unprocessable('companyId is required for a key that may read several companies', [
      { field: 'query.companyId', rule: 'required', message: 'the company whose tasks to list' },
    ]);
  if (!allowsCompany(event.principal, companyId))
    throw problems.forbidden(`this key may not read company ${companyId}`);
  const byrobot = await deps.byrobot();
  const page = await byrobot.getTasks({
    companyId,
    pageNum: query.pageNum ?? 1,
    pageSize: query.pageSize ?? 20,
    ...(query.status !== undefined && { status: query.status }),
    ...(query.name !== undefined && { taskName: query.name }),
  });
  return json(200, {
    companyId,
    pageNum: page.pageNum,
    pageSize: page.pageSize,
    total: page.total,
    pages: page.pages,
    tasks: page.items.map((t: Task) => withoutRaw(t)),
  });
}

/** `GET /tasks/{taskId}`: status, counts, progress and statistics of one task. */
export async function getTask(event: ApiEvent, deps: ApiDeps<'byrobot'>): Promise<ApiResult> {
  const taskId = pathId(event.pathParameters?.taskId, 'taskId');
  const byrobot = await deps.byrobot();
  const { companyId, detail } = await resolveTaskCompany(taskId, event.principal, byrobot, deps);
  const task: Omit<TaskDetail, 'raw'> = withoutRaw(detail);
  const { done, total } = task.counts;
  return json(200, {
    ...task,
    companyId,
    progress: {
      done,
      total,
      ratio: total && done !== null ? Math.round((done / total) * 1000) / 1000 : null,
    },
  });
}

const CallsQuery = v.strictObject({
  finishStatus: v.optional(whole('finishStatus', 0, 99)),
  intent: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Fa-f](,?[A-Fa-f])*$/, 'intent letters A-F such as A,B')),
  ),
  minDuration: v.optional(whole('minDuration', 0, 86_400)),
  maxDuration: v.optional(whole('maxDuration', 0, 86_400)),
  limit: v.optional(whole('limit', 1, 100)),
  cursor: v.optional(v.pipe(v.string(), v.regex(/^\d{1,6}\.\d{1,2}$/, 'the nextCursor of an earlier page'))),
});

/** byrobot pages read per request at most: a filter that matches little must not outlast the API's 29 s. */
const MAX_PAGES_PER_REQUEST = 20;
const BYROBOT_PAGE = 50;

/**
 * `GET /tasks/{taskId}/calls?finishStatus=&intent=A,B&minDuration=&maxDuration=&limit=&cursor=`: the
 * task's finished calls, newest first, as `calls list` filters them. byrobot filters the finish status
 * and durations; the intent letter is matched here, so a page may read several of byrobot's:
 * `nextCursor` (byrobot's page and the position in it) continues exactly where this one stopped.
 */
export async function listTaskCalls(event: ApiEvent, deps: ApiDeps<'byrobot'>): Promise<ApiResult> {
  const taskId = pathId(event.pathParameters?.taskId, 'taskId');
  const query = validate(CallsQuery, event.queryStringParameters ?? {}, 'query');
  const byrobot = await deps.byrobot();
  const { companyId } = await resolveTaskCompany(taskId, event.principal, byrobot, deps);
  const intents = query.intent ? new Set(query.intent.toUpperCase().replaceAll(',', '').split('')) : null;
  const limit = query.limit ?? 50;
  let [pageNum, index] = (query.cursor ?? '1.0').split('.').map(Number) as [number, number];
  const calls: Omit<DoneCall, 'raw'>[] = [];
  let nextCursor: string | null = null;
  for (let read = 0; read < MAX_PAGES_PER_REQUEST; read++) {
    const page = await byrobot.queryDoneTaskPhones({
      taskId,
      pageNum,
      pageSize: BYROBOT_PAGE,
      ...(query.finishStatus !== undefined && { finishStatus: query.finishStatus }),
      ...(query.minDuration !== undefined && { durationLeft: query.minDuration }),
      ...(query.maxDuration !== undefined && { durationRight: query.maxDuration }),
    });
    for (; index < page.items.length && calls.length < limit; index++) {
      const call = page.items[index]!;
      if (intents && (call.intentLevel === null || !intents.has(call.intentLevel))) continue;
      calls.push(withoutRaw(call));
    }
    const lastPage = page.items.length < BYROBOT_PAGE || (page.pages > 0 && pageNum >= page.pages);
    if (index < page.items.length) {
      nextCursor = `${pageNum}.${index}`;
      break;
    }
    if (lastPage) break;
    pageNum++;
    index = 0;
    if (calls.length >= limit || read === MAX_PAGES_PER_REQUEST - 1) {
      nextCursor = `${pageNum}.0`;
      break;
    }
  }
  return json(200, { taskId, companyId, calls, nextCursor });
}

export const listTasksRoute: RouteDefinition<'list-tasks'> = {
  name: 'list-tasks',
  run: (deps) => (e) => listTasks(e, deps),
};
export const getTaskRoute: RouteDefinition<'get-task'> = {
  name: 'get-task',
  run: (deps) => (e) => getTask(e, deps),
};
export const listTaskCallsRoute: RouteDefinition<'list-task-calls'> = {
  name: 'list-task-calls',
  run: (deps) => (e) => listTaskCalls(e, deps),
};
