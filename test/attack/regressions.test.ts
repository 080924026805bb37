import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../dev/listen.ts';
import { startApiServer } from '../../local/api-server/index.ts';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';
import { postAction, postImport, simTask } from '../support/app-requests.ts';

/*
 * Issue 14's defects 3–7, each against the real local stack (simulator, dynalite, the local API
 * server where the bytes on the wire matter). Each failed on the code before the fix.
 */
let api: ApiStack;
let server: Listening;
const world = () => api.sim.sim.world();
const newTask = () => simTask(api, '回归');

beforeAll(async () => {
  api = await startApiStack();
  server = await startApiServer({ deps: api.deps });
});
afterAll(async () => {
  await server?.close();
  await api?.close();
});

const post = (path: string, body: Buffer | string | undefined, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.admin}`, ...headers },
    body,
  });

describe('§3 a body in a declared charset', () => {
  it('decodes charset=gbk, so 张三 reaches byrobot as 张三 (not four U+FFFD)', async () => {
    const taskId = newTask();
    // 张三 in GBK is D5 C5 C8 FD (Node has no GBK encoder; these are the code points' GBK bytes).
    const body = Buffer.concat([
      Buffer.from('{"customers":[{"name":"'),
      Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]),
      Buffer.from('","phone":"13800138000"}]}'),
    ]);
    const res = await post(`/tasks/${taskId}/customers`, body, {
      'content-type': 'application/json; charset=gbk',
    });
    expect(res.status).toBe(200);
    const calls = [...world().calls.values()].filter((c) => c.taskId === taskId);
    expect(calls.map((c) => c.name)).toEqual(['张三']);
  });

  it('refuses a charset it cannot decode with 415 naming it', async () => {
    const res = await post(`/tasks/${newTask()}/customers`, '{"customers":[]}', {
      'content-type': 'application/json; charset=ebcdic-cp-us',
    });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as { detail: string }).detail).toContain('ebcdic-cp-us');
  });

  it('refuses bytes that are not the UTF-8 they claim with 400 naming the body', async () => {
    const body = Buffer.concat([
      Buffer.from('{"customers":[{"name":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}]}'),
    ]);
    const res = await post(`/tasks/${newTask()}/customers`, body, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toEqual([
      expect.objectContaining({ field: 'body', rule: 'charset' }),
    ]);
  });
});

describe('§4 ids past 2^53 − 1', () => {
  it('refuses /tasks/9007199254740993/start instead of acting on …992', async () => {
    const res = await post('/tasks/9007199254740993/start', undefined);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toEqual([
      expect.objectContaining({ field: 'path.taskId', rule: 'format' }),
    ]);
    expect(api.sim.sim.stats().byEndpoint['v1/task/start'] ?? 0).toBe(0);
  });

  it('refuses a body id JSON would round (companyId 9007199254740993)', async () => {
    const res = await post(
      '/tasks',
      '{"companyId":9007199254740993,"taskName":"x","userPhoneIds":[11],"robotDefId":101}',
      { 'content-type': 'application/json' },
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe(
      'body.companyId',
    );
  });
});

describe('§5 names with nothing to read', () => {
  it('refuses NUL, zero-width-only and bidi-only names per row; the real name goes through', async () => {
    const taskId = newTask();
    const r = await postImport(api, taskId, {
      customers: [
        { name: '\u0000', phone: '13800000001' },
        { name: '\u200b\u200c\u200d', phone: '13800000002' },
        { name: '\u202e\u2066', phone: '13800000003' },
        { name: '\ufeff', phone: '13800000004' },
        { name: '李\u0007四', phone: '13800000005' },
        { name: '王五', phone: '13800000006' },
      ],
    });
    expect(r.status).toBe(200);
    expect(
      (r.json.invalid as Array<{ index: number; field: string; rule: string }>).map((p) => [
        p.index,
        p.field,
        p.rule,
      ]),
    ).toEqual([
      [0, 'name', 'control-character'],
      [1, 'name', 'invisible'],
      [2, 'name', 'invisible'],
      [3, 'name', 'required'], // String.prototype.trim already removes a BOM
      [4, 'name', 'control-character'],
    ]);
    expect([...world().calls.values()].filter((c) => c.taskId === taskId).map((c) => c.name)).toEqual([
      '王五',
    ]);
  });
});

describe('§6 a 4xx is the key’s answer, as Stripe keeps it', () => {
  it('three same-key retries of a start byrobot refused reach byrobot once, each answered the same 422', async () => {
    const taskId = newTask(); // no customers: byrobot refuses to start it (412)
    const before = api.sim.sim.stats().byEndpoint['v1/task/start'] ?? 0;
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(`/tasks/${taskId}/start`, undefined, { 'idempotency-key': `refused-${taskId}` });
      answers.push({
        status: res.status,
        replayed: res.headers.get('idempotent-replayed'),
        body: await res.json(),
      });
    }
    expect(answers.map((a) => a.status)).toEqual([422, 422, 422]);
    expect(answers.map((a) => a.replayed)).toEqual([null, 'true', 'true']);
    expect(answers[1]!.body).toEqual(answers[0]!.body);
    expect((api.sim.sim.stats().byEndpoint['v1/task/start'] ?? 0) - before).toBe(1);
  });

  it('a refusal before the work began (no credentials) keeps no record: the corrected retry runs', async () => {
    const taskId = newTask();
    const key = { 'idempotency-key': `unauth-${taskId}` };
    const unauth = await fetch(`${server.url}/tasks/${taskId}/pause`, { method: 'POST', headers: key });
    expect(unauth.status).toBe(401);
    const res = await post(`/tasks/${taskId}/pause`, undefined, key);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(res.status).toBe(422); // a new task cannot be paused: byrobot was asked this time
  });
});

describe('§7 a stale task→company entry cannot authorise', () => {
  it("after a byrobot-side reset reused a task id, a company-1 key cannot stop company 2's task", async () => {
    const stack = await startApiStack();
    try {
      const w = () => stack.sim.sim.world();
      const create = (companyId: 1 | 2) => simTask(stack, '租户', companyId);
      const action = (taskId: number, what: string) =>
        postAction(stack, taskId, what, stack.auth(KEYS.company1));
      // Prepare: company 1's task, acted on once, so the bridge remembers task → company 1
      const ours = create(1);
      expect((await action(ours, 'stop')).status).toBe(200);
      // byrobot is reset; the same id now names a task of company 2, with customers, running
      stack.sim.sim.reset();
      const theirs = create(2);
      expect(theirs).toBe(ours);
      w().importCustomers({
        companyId: 2,
        taskId: theirs,
        customerInfoList: [{ name: '乙', phone: '13900000001', properties: { 活动日期: '12月1日' } }],
      });
      w().start(theirs);
      const statusBefore = w().task(theirs).status;
      // Act: the company-1 key tries to pause it by id
      const r = await action(theirs, 'pause');
      // Assert: refused as not found, and byrobot never paused it
      expect(r.status).toBe(404);
      expect(w().task(theirs).status).toBe(statusBefore);
      expect(stack.sim.sim.stats().byEndpoint['v1/task/pause'] ?? 0).toBe(0);
    } finally {
      await stack.close();
    }
  });
});
