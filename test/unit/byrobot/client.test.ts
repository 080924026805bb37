import { describe, expect, it } from 'vitest';
import {
  type AttemptInfo,
  ByrobotApiError,
  ByrobotAuthError,
  ByrobotBadRequestError,
  ByrobotClient,
  type ByrobotClientOptions,
  ByrobotClockSkewError,
  ByrobotImportError,
  ByrobotNotFoundError,
  ByrobotTransportError,
  computeSignature,
} from '../../../shared/byrobot/index.ts';
import { type Scripted, scriptedFetch } from '../../support/scripted-fetch.ts';

const ok = (data: unknown = null): Scripted => ({ envelope: { code: 200, data, resultMsg: '操作成功' } });
const page = (list: unknown[], pageNum: number, pages: number, total = list.length): Scripted =>
  ok({ pageNum, pageSize: list.length, total, pages, list });
/** getTaskDetail's answer with only the customer count: what importCustomers reads to settle lost answers. */
const taskTotal = (totalCount: number): Scripted => ok({ callJobId: 2, status: 0, totalCount });
/** A createTask input with callType given, so no getPhones is asked for it. */
const TASK = { companyId: 1, taskName: 'n', taskType: 2, userPhoneIds: [1], robotDefId: 1, callType: 1 };

function setup(script: Scripted[], options: Partial<ByrobotClientOptions> = {}) {
  const t = scriptedFetch(script);
  const attempts: AttemptInfo[] = [];
  const client = new ByrobotClient({
    baseUrl: 'https://api.example.test/',
    appKey: 'demo-key',
    appSecret: 'demo-secret',
    fetch: t.fetch,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    onAttempt: (a) => attempts.push(a),
    ...options,
  });
  return { client, t, attempts };
}

describe('Class: ByrobotClient', () => {
  describe('Method: constructor', () => {
    it('throws on a missing or non-http base URL and missing credentials', () => {
      expect(() => new ByrobotClient({ baseUrl: 'api.byrobot.cn', appKey: 'k', appSecret: 's' })).toThrow(
        /absolute/,
      );
      expect(() => new ByrobotClient({ baseUrl: 'ftp://x', appKey: 'k', appSecret: 's' })).toThrow(/http/);
      expect(() => new ByrobotClient({ baseUrl: 'https://x', appKey: '', appSecret: 's' })).toThrow(/appKey/);
      expect(() => new ByrobotClient({ baseUrl: 'https://x', appKey: 'k', appSecret: '' })).toThrow(
        /appSecret/,
      );
      expect(
        () => new ByrobotClient({ baseUrl: 'https://x', appKey: 'k', appSecret: 's', maxInFlight: 0 }),
      ).toThrow();
    });
  });

  describe('Signing', () => {
    it('signs each request with datetime, appkey and sign from the configured clock', async () => {
      const { client, t } = setup([ok()], { now: () => new Date(Date.UTC(2026, 10, 23, 11, 38, 46)) });
      await client.start(11);
      expect(t.requests[0]?.headers).toMatchObject({
        datetime: 'Mon, 23 Nov 2026 11:38:46 GMT',
        appkey: 'demo-key',
        sign: 'Eulh5TLVE8rPeGaMElSJPZulEBw=',
      });
    });

    it('signs every retry afresh', async () => {
      let tick = 0;
      const { client, t } = setup([{ status: 503, body: 'x' }, ok()], {
        now: () => new Date(Date.UTC(2026, 10, 23, 11, 38, 46 + tick++)),
      });
      await client.pause(1);
      const [a, b] = t.requests;
      expect(a?.headers.datetime).not.toBe(b?.headers.datetime);
      expect(b?.headers.sign).toBe(computeSignature('demo-key', 'demo-secret', b?.headers.datetime ?? ''));
    });
  });

  describe('Requests', () => {
    it('sends each endpoint at the seed’s method, path and parameters', async () => {
      const { client, t } = setup([
        ok(),
        ok(),
        ok(),
        page([], 1, 0),
        ok(67),
        ok({ msg: 'm', successNum: 1, repeatNum: 0, placeFailNum: 0 }),
        page([], 1, 0),
        page([], 1, 0),
        ok([]),
        ok([]),
        ok([]),
        ok([]),
        ok(['还款金额']),
      ]);
      await client.start(1);
      await client.pause(2);
      await client.stop(3);
      await client.createTask(TASK);
      await client.importTaskCustomer({
        companyId: 1,
        taskId: 9,
        customers: [{ name: 'a', phone: '13800138000' }],
      });
      await client.getTasks({ companyId: 1, status: 1, pageSize: 100 });
      await client.queryDoneTaskPhones({ taskId: 9, finishStatus: 0, pageSize: 50 });
      await client.notDialedCustomerList({ taskId: 9 });
      await client.getCompanys();
      await client.getPhones(1);
      await client.getRobots(1);
      expect(await client.getSceneVariables({ companyId: 1, sceneDefId: 2 })).toEqual(['还款金额']);
      expect(t.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /openapi/v1/task/start',
        'POST /openapi/v1/task/pause',
        'POST /openapi/v1/task/stop',
        // createTask first lists the tasks of that name, to settle a lost answer (never a second task).
        'GET /openapi/v1/task/getTasks',
        'POST /openapi/v1/task/createTask',
        'POST /openapi/v2/task/importTaskCustomer',
        'GET /openapi/v1/task/getTasks',
        'POST /openapi/v1/task/queryDoneTaskPhones',
        'GET /openapi/v1/task/notDialedCustomerList',
        'GET /openapi/v1/company/getCompanys',
        'GET /openapi/v1/company/getPhones',
        'GET /openapi/v1/company/getRobots',
        'GET /openapi/v1/task/getSceneVariables',
      ]);
      expect(t.requests[0]?.body).toEqual({ taskId: 1 });
      expect(t.requests[3]?.query).toEqual({ companyId: '1', taskName: 'n', pageNum: '1', pageSize: '100' });
      expect(t.requests[5]?.body).toEqual({
        companyId: 1,
        taskId: 9,
        customerInfoList: [{ name: 'a', phone: '13800138000' }],
      });
      expect(t.requests[6]?.query).toEqual({ companyId: '1', status: '1', pageNum: '1', pageSize: '100' });
      expect(t.requests[7]?.body).toEqual({ callJobId: 9, finishStatus: 0, pageNum: 1, pageSize: 50 });
      expect(t.requests[8]?.query).toEqual({ taskId: '9', pageNum: '1', pageSize: '10' });
      expect(t.requests[12]?.query).toEqual({ companyId: '1', sceneDefId: '2' });
    });

    it('refuses page sizes over byrobot’s limits before sending', async () => {
      const { client, t } = setup([]);
      await expect(client.getTasks({ companyId: 1, pageSize: 101 })).rejects.toThrow(RangeError);
      await expect(client.queryDoneTaskPhones({ taskId: 1, pageSize: 51 })).rejects.toThrow(RangeError);
      expect(t.requests).toHaveLength(0);
    });

    it('keeps unknown codes and unknown fields', async () => {
      const { client } = setup([
        page([{ callInstanceId: 7, finishStatus: 42, duration: null, newField: 'x' }], 1, 1),
      ]);
      const { items } = await client.queryDoneTaskPhones({ taskId: 1 });
      expect(items[0]?.finishStatus).toEqual({ code: 42, label: 'unknown (42)' });
      expect(items[0]?.durationSeconds).toBeNull();
      expect(items[0]?.raw.newField).toBe('x');
    });
  });

  describe('Errors', () => {
    it.each([
      [401, ByrobotAuthError, /BYROBOT_APP_KEY/],
      [403, ByrobotAuthError, /permission/],
      [404, ByrobotNotFoundError, /404/],
      [408, ByrobotClockSkewError, /clock/],
      [412, ByrobotBadRequestError, /参数错误/],
      [418, ByrobotApiError, /418/],
    ])(
      'code %i becomes a typed API error carrying code, message, endpoint and request id',
      async (code, type, text) => {
        const { client, t } = setup([{ envelope: { code, resultMsg: '参数错误', requestId: 'req-1' } }]);
        const error = await client.start(1).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(type);
        expect(error).toMatchObject({
          code,
          resultMsg: '参数错误',
          endpoint: 'v1/task/start',
          requestId: 'req-1',
        });
        expect((error as Error).message).toMatch(text);
        expect(t.requests).toHaveLength(1);
      },
    );

    it.each([
      ['an HTML page', { status: 502, body: '<html><body>Bad Gateway</body></html>' }, 'html'],
      ['malformed JSON', { status: 200, body: '{"code": 200, "da' }, 'invalid-json'],
      ['JSON without code', { status: 200, body: '{"data": []}' }, 'invalid-envelope'],
      ['a non-object', { status: 200, body: '"ok"' }, 'invalid-envelope'],
      [
        'data of another shape',
        { status: 200, body: '{"code":200,"data":{"list":"x"}}' },
        'unexpected-shape',
      ],
    ] as const)('%s is a transport error, never a crash or undefined', async (_name, answer, kind) => {
      const { client } = setup([answer, answer, answer, answer], { retry: { maxAttempts: 1 } });
      const error = await client.getTasks({ companyId: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ByrobotTransportError);
      expect((error as ByrobotTransportError).kind).toBe(kind);
    });

    it('reports a hang as a timeout after timeoutMs', async () => {
      const { client } = setup([{ hang: true }], { timeoutMs: 50, retry: { maxAttempts: 1 } });
      const error = await client.getCompanys().catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ByrobotTransportError', kind: 'timeout' });
    });

    it('stops at once when the caller aborts', async () => {
      const { client, t } = setup([{ hang: true }, ok([])]);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('caller gave up')), 20);
      await expect(client.getCompanys({ signal: controller.signal })).rejects.toThrow('caller gave up');
      expect(t.requests).toHaveLength(1);
    });
  });

  describe('Retries', () => {
    it.each([
      ['a network error', { networkError: 'ECONNRESET' }],
      ['HTTP 503', { status: 503, body: 'unavailable' }],
      ['an HTML 502 page', { status: 502, body: '<html>502</html>' }],
      ['HTTP 429', { status: 429, body: '', headers: { 'retry-after': '0' } }],
      ['byrobot code 500', { envelope: { code: 500, resultMsg: '未知错误' } }],
      ['a hang', { hang: true }],
      // A body cut short is transport trouble, not byrobot's verdict (issue 14).
      ['a truncated JSON body', { status: 200, body: '{"code": 200, "da' }],
    ] as const)('retries an idempotent call after %s', async (_name, failure) => {
      const { client, t, attempts } = setup([failure, ok()], { timeoutMs: 50 });
      await expect(client.start(5)).resolves.toBe('操作成功');
      expect(t.requests).toHaveLength(2);
      expect(attempts.map((a) => a.willRetry)).toEqual([true, false]);
    });

    it.each([
      ['a network error', { networkError: 'ECONNRESET' }],
      ['HTTP 503', { status: 503, body: 'unavailable' }],
      ['byrobot code 500', { envelope: { code: 500, resultMsg: '未知错误' } }],
    ] as const)('never retries createTask after %s', async (_name, failure) => {
      // The tasks of that name before, the failure, the same list after: no new task, so it throws.
      const { client, t } = setup([page([], 1, 0), failure, page([], 1, 0), ok(1)]);
      const error = await client.createTask(TASK).catch((e: unknown) => e);
      expect(error).toMatchObject({ afterLostAnswer: true });
      expect(t.requests.filter((r) => r.path.endsWith('createTask'))).toHaveLength(1);
    });

    it('after a lost createTask answer, returns the task that appeared under that name', async () => {
      const named = (ids: number[]) =>
        page(
          ids.map((callJobId) => ({ callJobId, jobName: 'n', status: 0 })),
          1,
          1,
        );
      const { client, t } = setup([named([7]), { networkError: 'ECONNRESET' }, named([9, 7])]);
      await expect(client.createTask(TASK)).resolves.toBe(9);
      expect(t.requests.filter((r) => r.path.endsWith('createTask'))).toHaveLength(1);
    });

    it.each([
      ['code 412', { envelope: { code: 412, resultMsg: 'bad' } }],
      ['code 401', { envelope: { code: 401, resultMsg: 'bad sign' } }],
      ['code 408', { envelope: { code: 408, resultMsg: 'time' } }],
      ['HTTP 404 without envelope', { status: 404, body: 'not found' }],
      ['JSON that is not the envelope', { status: 200, body: '{"ok": true}' }],
    ] as const)('does not retry %s, which a retry cannot change', async (_name, failure) => {
      const { client, t } = setup([failure, ok()]);
      await expect(client.stop(5)).rejects.toThrow();
      expect(t.requests).toHaveLength(1);
    });

    it('gives up after maxAttempts and throws the last error', async () => {
      const fail = { status: 500, body: 'boom' } as const;
      const { client, t } = setup([fail, fail, fail, fail, ok()]);
      const error = await client.getCompanys().catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'http', status: 500 });
      expect(t.requests).toHaveLength(4);
    });
  });

  describe('Pagination', () => {
    it('walks pages lazily and stops when the loop breaks', async () => {
      const tasks = (ids: number[]) => ids.map((callJobId) => ({ callJobId, status: 1 }));
      const { client, t } = setup([page(tasks([5, 4]), 1, 3, 6), page(tasks([3, 2]), 2, 3, 6)]);
      const seen: number[] = [];
      for await (const task of client.tasks({ companyId: 1, pageSize: 2 })) {
        seen.push(task.taskId);
        if (task.taskId === 3) break;
      }
      expect(seen).toEqual([5, 4, 3]);
      expect(t.requests.map((r) => r.query.pageNum)).toEqual(['1', '2']);
      expect(t.requests[0]?.query.pageSize).toBe('2');
    });

    it('skips an item repeated on the next page when the list shifted under it', async () => {
      const calls = (ids: number[]) => ids.map((callInstanceId) => ({ callInstanceId }));
      const { client } = setup([page(calls([9, 8]), 1, 2, 4), page(calls([8, 7]), 2, 2, 4)]);
      const ids: number[] = [];
      for await (const c of client.doneCalls({ taskId: 1, pageSize: 2 })) ids.push(c.callInstanceId);
      expect(ids).toEqual([9, 8, 7]);
    });

    it('pages a bare not-dialled list until a short page', async () => {
      const rows = (ids: number[]) => ids.map((callInstanceId) => ({ callInstanceId }));
      const full = Array.from({ length: 50 }, (_, i) => 100 - i);
      const { client, t } = setup([ok(rows(full)), ok(rows([1, 2]))]);
      const ids: Array<number | null> = [];
      for await (const c of client.notDialedCustomers(3)) ids.push(c.callInstanceId);
      expect(ids).toHaveLength(52);
      expect(t.requests).toHaveLength(2);
    });

    it('defaults to byrobot’s largest pages: 100 tasks, 50 calls', async () => {
      const { client, t } = setup([page([], 1, 0), page([], 1, 0)]);
      for await (const _ of client.tasks({ companyId: 1 })) break;
      for await (const _ of client.doneCalls({ taskId: 1 })) break;
      expect(t.requests[0]?.query.pageSize).toBe('100');
      expect(t.requests[1]?.body).toMatchObject({ pageSize: 50 });
    });
  });

  describe('Method: importCustomers', () => {
    const customers = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: `c${i}`, phone: `138${i}` }));
    const counts = (successNum: number, repeatNum = 0, placeFailNum = 0) =>
      ok({ msg: `ok ${successNum}`, successNum, repeatNum, placeFailNum });

    it('splits into requests of at most 10,000 and adds up byrobot’s counts', async () => {
      const { client, t } = setup([taskTotal(0), counts(10_000), counts(9_990, 10), counts(499, 0, 1)]);
      const progress: number[] = [];
      const summary = await client.importCustomers({
        companyId: 1,
        taskId: 2,
        customers: customers(20_500),
        onProgress: (p) => progress.push(p.customersSent),
      });
      expect(
        t.requests.slice(1).map((r) => (r.body as { customerInfoList: unknown[] }).customerInfoList.length),
      ).toEqual([10_000, 10_000, 500]);
      expect(summary).toMatchObject({
        requests: 3,
        submitted: 20_500,
        successNum: 20_489,
        repeatNum: 10,
        placeFailNum: 1,
      });
      expect(progress).toEqual([10_000, 20_000, 20_500]);
    });

    it('v1 answers no counts: they stay null', async () => {
      const { client, t } = setup([taskTotal(0), ok(null)]);
      const summary = await client.importCustomers({
        companyId: 1,
        taskId: 2,
        customers: customers(3),
        version: 'v1',
      });
      expect(t.requests[1]?.path).toBe('/openapi/v1/task/importTaskCustomer');
      expect(summary).toMatchObject({ requests: 1, submitted: 3, successNum: null, repeatNum: null });
    });

    it('a failure part-way says what was accepted before it', async () => {
      const { client } = setup([taskTotal(0), counts(2), { envelope: { code: 412, resultMsg: 'bad' } }], {});
      const error = await client
        .importCustomers({ companyId: 1, taskId: 2, customers: customers(5), batchSize: 2 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ByrobotImportError);
      expect(error).toMatchObject({ failedAt: 2, summary: { requests: 1, submitted: 2, successNum: 2 } });
    });

    it('after a lost answer, counts what the task gained, not the retry’s repeats', async () => {
      // 5 rows; the first attempt lands 4 (1 was already in the task) and its answer is lost.
      const { client, t } = setup([taskTotal(10), { hang: true }, counts(0, 5), taskTotal(14)], {
        importTimeoutMs: 30,
      });
      const summary = await client.importCustomers({ companyId: 1, taskId: 2, customers: customers(5) });
      expect(summary).toMatchObject({ successNum: 4, repeatNum: 1, settledByTaskCount: 1, unsettled: 0 });
      expect(t.requests.filter((r) => r.path.endsWith('importTaskCustomer'))).toHaveLength(2);
    });

    it('after a lost answer with no count to settle against, says how many rows are in doubt', async () => {
      const { client } = setup([{ envelope: { code: 412, resultMsg: 'x' } }, { hang: true }, counts(0, 5)], {
        importTimeoutMs: 30,
      });
      const summary = await client.importCustomers({ companyId: 1, taskId: 2, customers: customers(5) });
      expect(summary).toMatchObject({ successNum: 0, repeatNum: 5, unsettled: 5 });
    });

    it('refuses a single request over 10,000', async () => {
      const { client } = setup([]);
      await expect(
        client.importTaskCustomer({ companyId: 1, taskId: 2, customers: customers(10_001) }),
      ).rejects.toThrow(RangeError);
    });
  });

  describe('Concurrency', () => {
    it('keeps at most maxInFlight requests in flight', async () => {
      let inFlight = 0;
      let peak = 0;
      const slowFetch = (async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return new Response(JSON.stringify({ code: 200, data: [] }));
      }) as unknown as typeof fetch;
      const client = new ByrobotClient({
        baseUrl: 'https://x.test',
        appKey: 'k',
        appSecret: 's',
        fetch: slowFetch,
        maxInFlight: 3,
      });
      await Promise.all(Array.from({ length: 20 }, () => client.getCompanys()));
      expect(peak).toBe(3);
    });
  });
});
