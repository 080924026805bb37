import { type ApiStack, KEYS } from './api-stack.ts';

/*
 * What the API and attack tests do again and again, one function each: make a task in the
 * simulator's world, and import rows into a task through the import-customers route.
 */

/** A new task in the simulator's world: company 1 (robot 101, line 11) or 2 (robot 111, line 21). */
export const simTask = (api: Pick<ApiStack, 'sim'>, taskName: string, companyId: 1 | 2 = 1) =>
  api.sim.sim.world().createTask({
    companyId,
    taskName,
    taskType: 2,
    userPhoneIds: [companyId === 1 ? 11 : 21],
    robotDefId: companyId === 1 ? 101 : 111,
  });

type Headers = Record<string, string>;

/** POST /tasks/{taskId}/{then} with the admin key; `headers` add to (or replace) it. */
const postOnTask = (
  api: ApiStack,
  route: 'import-customers' | 'task-action',
  taskId: number | string,
  then: string,
  headers: Headers,
  body?: unknown,
) =>
  api.call(route, {
    method: 'POST',
    path: `/tasks/${taskId}/${then}`,
    pathParameters: { taskId: String(taskId) },
    headers: { ...api.auth(KEYS.admin), ...headers },
    body,
  });

/** POST /tasks/{taskId}/customers with the admin key; `headers` add to (or replace) it. */
export const postImport = (api: ApiStack, taskId: number | string, body: unknown, headers: Headers = {}) =>
  postOnTask(api, 'import-customers', taskId, 'customers', headers, body);

/** POST /tasks/{taskId}/{action} (start, pause, stop) with the admin key; `headers` add to (or replace) it. */
export const postAction = (api: ApiStack, taskId: number | string, action: string, headers: Headers = {}) =>
  postOnTask(api, 'task-action', taskId, action, headers);

/** POST /tasks with the admin key; `headers` add to (or replace) it. */
export const postTask = (api: ApiStack, body: Record<string, unknown>, headers: Headers = {}) =>
  api.call('create-task', {
    method: 'POST',
    path: '/tasks',
    headers: { ...api.auth(KEYS.admin), ...headers },
    body,
  });

/** GET /imports/{importId} with the read-only key; `headers` add to (or replace) it. */
export const getImport = (api: ApiStack, importId: string, headers: Headers = {}) =>
  api.call('get-import', {
    method: 'GET',
    path: `/imports/${importId}`,
    pathParameters: { importId },
    headers: { ...api.auth(KEYS.readOnly), ...headers },
  });

/** POST /webhooks/{source}/tasks/{taskId}/customers: the raw body, with its Standard Webhooks headers. */
export const postWebhook = (
  api: ApiStack,
  source: string,
  taskId: number | string,
  raw: string,
  headers: Headers,
) =>
  api.call('webhook-customers', {
    method: 'POST',
    path: `/webhooks/${source}/tasks/${taskId}/customers`,
    pathParameters: { source, taskId: String(taskId) },
    headers,
    body: raw,
  });
