import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';
import { postAction, postImport, postTask } from '../support/app-requests.ts';

/*
 * GET /tasks, GET /tasks/{taskId}, GET /tasks/{taskId}/calls through the real routes and middy stack
 * against the simulator: what a CRM integrator reads back after POST /tasks (issue 15, point 1).
 */
let api: ApiStack;
let task1: number; // company 1, with finished calls
let task2: number; // company 2

const get = (
  name: 'list-tasks' | 'get-task' | 'list-task-calls',
  path: string,
  query: Record<string, string> = {},
  key: string = KEYS.admin,
) => {
  const taskId = /^\/tasks\/(\d+)/.exec(path)?.[1];
  return api.call(name, {
    method: 'GET',
    path,
    headers: api.auth(key),
    queryStringParameters: query,
    ...(taskId && { pathParameters: { taskId } }),
  });
};

const create = async (companyId: number, robotDefId: number, line: number, taskName: string) => {
  const r = await postTask(api, {
    companyId,
    taskName,
    userPhoneIds: [line],
    robotDefId,
    concurrencyQuota: 5,
  });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.taskId as number;
};

beforeAll(async () => {
  api = await startApiStack();
  task1 = await create(1, 101, 11, '读回任务');
  task2 = await create(2, 111, 21, '别家任务');
  const customers = Array.from({ length: 30 }, (_, i) => ({
    name: `客户${i}`,
    phone: `1370000${String(i).padStart(4, '0')}`,
  }));
  const imported = await postImport(api, task1, { customers });
  expect(imported.status).toBe(200);
  const started = await postAction(api, task1, 'start');
  expect(started.status).toBe(200);
  api.sim.sim.advance(6 * 3600);
});
afterAll(() => api?.close());

describe('GET /tasks', () => {
  it("lists a company's tasks, filtered by name", async () => {
    const r = await get('list-tasks', '/tasks', { companyId: '1', name: '读回任务' });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const tasks = r.json.tasks as { taskId: number; name: string; raw?: unknown }[];
    expect(tasks.map((t) => t.taskId)).toContain(task1);
    expect(tasks.every((t) => t.name.includes('读回任务') && t.raw === undefined)).toBe(true);
  });

  it("a key of one company lists its own without naming it, and may not read another's", async () => {
    const mine = await get('list-tasks', '/tasks', {}, KEYS.company1);
    expect(mine.status).toBe(200);
    expect(mine.json.companyId).toBe(1);
    expect((await get('list-tasks', '/tasks', { companyId: '2' }, KEYS.company1)).status).toBe(403);
  });

  it('a key of every company must name one; a bad or unknown query field is a 422 naming it', async () => {
    const none = await get('list-tasks', '/tasks');
    expect(none.status).toBe(422);
    expect(none.json.errors).toEqual([
      expect.objectContaining({ field: 'query.companyId', rule: 'required' }),
    ]);
    const bad = await get('list-tasks', '/tasks', { companyId: '1', pageSize: '500' });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.json.errors)).toContain('pageSize');
    const unknown = await get('list-tasks', '/tasks', { companyId: '1', colour: 'red' });
    expect(unknown.status).toBe(422);
    expect(JSON.stringify(unknown.json.errors)).toContain('colour');
  });
});

describe('GET /tasks/{taskId}', () => {
  it('answers the task with its status, counts and progress', async () => {
    const r = await get('get-task', `/tasks/${task1}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ taskId: task1, companyId: 1, name: '读回任务', counts: { total: 30 } });
    const progress = r.json.progress as { done: number; total: number; ratio: number };
    expect(progress.total).toBe(30);
    expect(progress.done).toBeGreaterThan(0);
    expect(progress.ratio).toBeCloseTo(progress.done / 30, 2);
  });

  it("is 404 for another company's task, as for one that does not exist", async () => {
    expect((await get('get-task', `/tasks/${task2}`, {}, KEYS.company1)).status).toBe(404);
    expect((await get('get-task', '/tasks/987654')).status).toBe(404);
  });
});

describe('GET /tasks/{taskId}/calls', () => {
  it('pages through every finished call with nextCursor, none twice', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 40; i++) {
      const r = await get('list-task-calls', `/tasks/${task1}/calls`, {
        limit: '7',
        ...(cursor && { cursor }),
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      seen.push(...(r.json.calls as { callInstanceId: number }[]).map((c) => c.callInstanceId));
      cursor = r.json.nextCursor as string | null;
      if (!cursor) break;
    }
    const done = ((await get('get-task', `/tasks/${task1}`)).json.counts as { done: number }).done;
    expect(seen.length).toBe(done);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by intent letter here and by finish status at byrobot', async () => {
    const all = (await get('list-task-calls', `/tasks/${task1}/calls`, { limit: '100' })).json.calls as {
      intentLevel: string | null;
      finishStatus: { code: number } | null;
    }[];
    const ab = (await get('list-task-calls', `/tasks/${task1}/calls`, { limit: '100', intent: 'A,B' })).json
      .calls as { intentLevel: string }[];
    expect(ab.length).toBe(all.filter((c) => c.intentLevel === 'A' || c.intentLevel === 'B').length);
    expect(ab.every((c) => c.intentLevel === 'A' || c.intentLevel === 'B')).toBe(true);
    const answered = (
      await get('list-task-calls', `/tasks/${task1}/calls`, { limit: '100', finishStatus: '0' })
    ).json.calls as { finishStatus: { code: number } }[];
    expect(answered.length).toBe(all.filter((c) => c.finishStatus?.code === 0).length);
    expect((await get('list-task-calls', `/tasks/${task1}/calls`, { intent: 'Z' })).status).toBe(422);
  });

  it("is 404 for another company's task", async () => {
    expect((await get('list-task-calls', `/tasks/${task2}/calls`, {}, KEYS.company1)).status).toBe(404);
  });
});
