import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, type FailureKind, MODIFIER_KINDS } from '../../local/byrobot-sim/faults.ts';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import {
  type AttemptInfo,
  ByrobotApiError,
  ByrobotAuthError,
  ByrobotBadRequestError,
  type ByrobotClient,
  ByrobotClockSkewError,
  ByrobotNotFoundError,
  ByrobotTransportError,
} from '../../shared/byrobot/index.ts';
import { simClient } from '../support/sim-client.ts';

let server: RunningSimulator;
const attempts: AttemptInfo[] = [];
/** The timeout of the tests of a timeout: short, yet long enough for the retry after it to be answered. */
const HANG_MS = 1_000;
const client = (options: Partial<ConstructorParameters<typeof ByrobotClient>[0]> = {}) =>
  simClient(server, {
    // Only a hang reaches it: a loaded machine can make the simulator slow to answer. The tests of a
    // timeout pass their own, and a retry after one must still be answered within it.
    timeoutMs: 5_000,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    onAttempt: (a) => attempts.push(a),
    ...options,
  });
const requestsTo = (endpoint: string) => server.sim.stats().byEndpoint[endpoint] ?? 0;

beforeAll(async () => {
  server = await startSimulator({ seed: 5 });
});
afterEach(() => {
  server.sim.clearFaults();
  server.sim.setClockOffset(0);
  attempts.length = 0;
});
afterAll(() => server.close());

async function newTask(byrobot: ByrobotClient, customers = 0) {
  const taskId = await byrobot.createTask({
    companyId: 2,
    taskName: '客户端集成',
    taskType: 2,
    workingStartTime: '09:00',
    workingEndTime: '20:00',
    userPhoneIds: [21],
    robotDefId: 111,
    concurrencyQuota: 2,
  });
  if (customers > 0) {
    await byrobot.importCustomers({
      companyId: 2,
      taskId,
      customers: Array.from({ length: customers }, (_, i) => ({
        name: `客户${i}`,
        phone: `1380000${String(i).padStart(4, '0')}`,
        properties: { 活动日期: '12月1日', crmId: `C-${i}` },
      })),
    });
  }
  return taskId;
}

describe('Client × simulator: every method over HTTP', () => {
  it('reads the account: companies, caller lines, robots, scene variables', async () => {
    const byrobot = client();
    const companies = await byrobot.getCompanys();
    expect(companies.map((c) => c.companyId)).toEqual([1, 2]);
    const phones = await byrobot.getPhones(1);
    expect(phones.some((p) => p.available === false)).toBe(true);
    const robots = await byrobot.getRobots(1);
    expect(robots[0]?.sceneRecords.length).toBeGreaterThan(0);
    expect(await byrobot.getSceneVariables({ companyId: 1, sceneDefId: 202 })).toEqual(['还款金额']);
  });

  it('creates, imports (v2 counts, v1 nothing), lists, starts, pauses and stops a task', async () => {
    const byrobot = client();
    const taskId = await newTask(byrobot);
    const v2 = await byrobot.importCustomers({
      companyId: 2,
      taskId,
      customers: [
        { name: '甲', phone: '13900000001', properties: { 活动日期: '周六' } },
        { name: '乙', phone: '13900000001', properties: { 活动日期: '周六' } },
        { name: '丙', phone: '13900000002' },
      ],
    });
    expect(v2).toMatchObject({ requests: 1, submitted: 3, successNum: 1, repeatNum: 1, placeFailNum: 1 });
    const v1 = await byrobot.importCustomers({
      companyId: 2,
      taskId,
      customers: [{ name: '丁', phone: '13900000003', properties: { 活动日期: '周日' } }],
      version: 'v1',
    });
    expect(v1.successNum).toBeNull();

    const pending = [];
    for await (const c of byrobot.notDialedCustomers(taskId)) pending.push(c.customer.phone);
    expect(pending).toEqual(['13900000001', '13900000003']);

    const listed = [];
    for await (const t of byrobot.tasks({ companyId: 2 })) listed.push(t.taskId);
    expect(listed[0]).toBe(taskId); // newest first

    await byrobot.start(taskId);
    expect((await byrobot.getTaskDetail({ companyId: 2, taskId })).status.code).toBe(1);
    await byrobot.pause(taskId);
    expect((await byrobot.getTasks({ companyId: 2, status: 4 })).items.map((t) => t.taskId)).toContain(
      taskId,
    );
    await byrobot.stop(taskId);
    const detail = await byrobot.getTaskDetail({ companyId: 2, taskId });
    expect(detail.status).toEqual({ code: 6, label: 'terminated' });
  });

  it('reads finished calls newest first with filters, and each call’s detail', async () => {
    const byrobot = client();
    const taskId = await newTask(byrobot, 60);
    await byrobot.start(taskId);
    server.sim.advance(3 * 3600);
    const page = await byrobot.queryDoneTaskPhones({ taskId, pageSize: 50 });
    expect(page.total).toBe(60);
    const all = [];
    for await (const c of byrobot.doneCalls({ taskId })) all.push(c);
    expect(all).toHaveLength(60);
    const ends = all.map((c) => c.endTime ?? '');
    expect([...ends].sort().reverse()).toEqual(ends);
    const answered = await byrobot.queryDoneTaskPhones({ taskId, finishStatus: 0, pageSize: 50 });
    expect(answered.items.every((c) => c.finishStatus?.code === 0)).toBe(true);

    const call = await byrobot.phoneLogInfo(answered.items[0]!.callInstanceId);
    expect(call.properties).toMatchObject({ crmId: expect.stringMatching(/^C-\d+$/) });
    expect(call.transcript.length).toBeGreaterThan(0);
    expect(call.intentLevel).toMatch(/^[A-D]$/);
    const detail = await byrobot.getTaskDetail({ companyId: 2, taskId });
    expect(detail.status.code).toBe(2);
    expect(detail.extraStat.客户意向等级?.reduce((s, x) => s + Number(x.value), 0)).toBe(60);
  });

  it('splits a 25,000-customer import into requests of 10,000', async () => {
    const byrobot = client({ timeoutMs: 10_000 });
    const taskId = await newTask(byrobot);
    const before = requestsTo('v2/task/importTaskCustomer');
    const summary = await byrobot.importCustomers({
      companyId: 2,
      taskId,
      customers: Array.from({ length: 25_000 }, (_, i) => ({
        name: `c${i}`,
        phone: `15${String(i).padStart(9, '0')}`,
        properties: { 活动日期: 'x' },
      })),
    });
    expect(summary).toMatchObject({ requests: 3, successNum: 25_000, repeatNum: 0 });
    expect(requestsTo('v2/task/importTaskCustomer') - before).toBe(3);
  });
});

describe('Client × simulator: byrobot’s errors', () => {
  it('a wrong secret is refused with 401 and not retried', async () => {
    const before = requestsTo('v1/company/getCompanys');
    await expect(client({ appSecret: 'wrong' }).getCompanys()).rejects.toBeInstanceOf(ByrobotAuthError);
    expect(requestsTo('v1/company/getCompanys') - before).toBe(1);
  });

  it('a clock more than 3 minutes off is refused with 408 (either way)', async () => {
    await expect(client({ now: () => new Date(Date.now() - 181_000) }).getCompanys()).rejects.toBeInstanceOf(
      ByrobotClockSkewError,
    );
    server.sim.setClockOffset(181_000);
    await expect(client().getCompanys()).rejects.toBeInstanceOf(ByrobotClockSkewError);
    server.sim.setClockOffset(170_000);
    await expect(client().getCompanys()).resolves.toHaveLength(2);
  });

  it('a signature computed the way byrobot’s demos do it (openssl) is accepted', async () => {
    const datetime = new Date().toUTCString();
    const sign = execFileSync(
      'sh',
      ['-c', `printf 'demo-key\\n%s' "$D" | openssl dgst -sha1 -hmac demo-secret -binary | base64`],
      {
        env: { ...process.env, D: datetime },
      },
    )
      .toString()
      .trim();
    const res = await fetch(`${server.url}/openapi/v1/company/getCompanys`, {
      headers: { datetime, appkey: 'demo-key', sign },
    });
    expect(((await res.json()) as { code: number }).code).toBe(200);
  });

  it('unknown task 404, bad parameters 412, another company’s task 404', async () => {
    const byrobot = client();
    await expect(byrobot.start(999_999)).rejects.toBeInstanceOf(ByrobotNotFoundError);
    await expect(
      byrobot.getTaskDetail({ companyId: 1, taskId: await newTask(byrobot) }),
    ).rejects.toBeInstanceOf(ByrobotNotFoundError);
    await expect(
      byrobot.createTask({
        companyId: 2,
        taskName: 'x',
        taskType: 2,
        userPhoneIds: [21],
        robotDefId: 111,
        workingStartTime: '21:00', // after the default end, 20:00
      }),
    ).rejects.toBeInstanceOf(ByrobotBadRequestError);
    const done = await newTask(byrobot);
    await expect(byrobot.pause(done)).rejects.toThrow(/暂停/);
  });
});

describe('Client × simulator: each fault kind and both sides of the retry rule', () => {
  type Case = {
    /** What onAttempt reports for a faulty attempt. */
    outcome: AttemptInfo['outcome'];
    /** The typed error the caller gets once it gives up. */
    error: new (
      ...args: never[]
    ) => Error;
    fields: Record<string, unknown>;
    /** Whether an idempotent request is tried again (docs/byrobot-client.md, "Retries"). */
    retried: boolean;
  };
  // Every simulator fault kind but latency (which is not a failure; tested below).
  const failures: Record<FailureKind, Case> = {
    http5xx: {
      outcome: 'http',
      error: ByrobotTransportError,
      fields: { kind: 'http', status: 503 },
      retried: true,
    },
    hang: {
      outcome: 'timeout',
      error: ByrobotTransportError,
      fields: { kind: 'timeout' },
      retried: true,
    },
    html: {
      outcome: 'html',
      error: ByrobotTransportError,
      fields: { kind: 'html', status: 502 },
      retried: true,
    },
    malformedJson: {
      // A body cut short is transport trouble (issue 14): retried like a dropped connection.
      outcome: 'invalid-json',
      error: ByrobotTransportError,
      fields: { kind: 'invalid-json' },
      retried: true,
    },
    code500: {
      outcome: 'code:500',
      error: ByrobotApiError,
      fields: { code: 500, resultMsg: '未知错误' },
      retried: true,
    },
    http429: {
      outcome: 'rate-limited',
      error: ByrobotTransportError,
      fields: { kind: 'rate-limited', status: 429, retryAfterMs: 1000 },
      retried: true,
    },
    code401: {
      outcome: 'code:401',
      error: ByrobotAuthError,
      fields: { code: 401 },
      retried: false,
    },
    code403: {
      outcome: 'code:403',
      error: ByrobotAuthError,
      fields: { code: 403 },
      retried: false,
    },
    code408: {
      outcome: 'code:408',
      error: ByrobotClockSkewError,
      fields: { code: 408 },
      retried: false,
    },
  };
  // Each case strikes with the fault of its kind.
  const cases = Object.entries(failures) as Array<[FailureKind, Case]>;

  it('covers every fault kind the simulator has', () => {
    expect([...Object.keys(failures), ...MODIFIER_KINDS].sort()).toEqual([...FAULT_KINDS].sort());
    // Both sides of the rule are exercised.
    expect(cases.some(([, c]) => c.retried)).toBe(true);
    expect(cases.some(([, c]) => !c.retried)).toBe(true);
  });

  it('latency: the answer is only late; nothing is retried', async () => {
    server.sim.addFault({ kind: 'latency', latencyMs: 80, endpoint: 'company/getCompanys', times: 1 });
    const started = performance.now();
    await expect(client().getCompanys()).resolves.toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    expect(attempts.map((a) => a.outcome)).toEqual(['ok']);
  });

  it('latency beyond timeoutMs is a timeout, retried, and the next attempt succeeds', async () => {
    server.sim.addFault({ kind: 'latency', latencyMs: 3_000, endpoint: 'company/getCompanys', times: 1 });
    await expect(client({ timeoutMs: HANG_MS }).getCompanys()).resolves.toHaveLength(2);
    expect(attempts.map((a) => a.outcome)).toEqual(['timeout', 'ok']);
  });

  it.each(cases)(
    '%s once on an idempotent read: typed, and retried only if the rule says so',
    async (kind, c) => {
      server.sim.addFault({ kind, endpoint: 'company/getCompanys', times: 1 });
      const before = requestsTo('v1/company/getCompanys');
      const result = client(c.outcome === 'timeout' ? { timeoutMs: HANG_MS } : {})
        .getCompanys()
        .catch((e: unknown) => e);
      if (c.retried) {
        expect(await result).toHaveLength(2);
        expect(attempts.map((a) => [a.outcome, a.willRetry])).toEqual([
          [c.outcome, true],
          ['ok', false],
        ]);
        expect(requestsTo('v1/company/getCompanys') - before).toBe(2);
      } else {
        const error = await result;
        expect(error).toBeInstanceOf(c.error);
        expect(error).toMatchObject({ endpoint: 'v1/company/getCompanys', ...c.fields });
        expect(attempts.map((a) => [a.outcome, a.willRetry])).toEqual([[c.outcome, false]]);
        expect(requestsTo('v1/company/getCompanys') - before).toBe(1);
      }
    },
  );

  it.each(cases)(
    '%s persistent on an idempotent read: the typed error after maxAttempts (or at once)',
    async (kind, c) => {
      server.sim.addFault({ kind, endpoint: 'task/getTasks' });
      const before = requestsTo('v1/task/getTasks');
      const error = await client({
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
        ...(c.outcome === 'timeout' ? { timeoutMs: HANG_MS } : {}),
      })
        .getTasks({ companyId: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(c.error);
      expect(error).toMatchObject({ endpoint: 'v1/task/getTasks', ...c.fields });
      const n = c.retried ? 3 : 1;
      expect(requestsTo('v1/task/getTasks') - before).toBe(n);
      expect(attempts.map((a) => a.outcome)).toEqual(Array(n).fill(c.outcome));
      expect(attempts.map((a) => a.willRetry)).toEqual([...Array(n - 1).fill(true), false]);
    },
  );

  it.each(cases)('%s once on createTask: typed, never retried, no task created', async (kind, c) => {
    const byrobot = client();
    const before = requestsTo('v1/task/createTask');
    const tasksBefore = server.sim.world().tasks.size;
    server.sim.addFault({ kind, endpoint: 'task/createTask', times: 1 });
    const error = await byrobot
      .createTask({ companyId: 2, taskName: 'once', taskType: 2, userPhoneIds: [21], robotDefId: 111 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(c.error);
    expect(error).toMatchObject({ endpoint: 'v1/task/createTask', ...c.fields });
    expect(
      attempts.filter((a) => a.endpoint === 'v1/task/createTask').map((a) => [a.outcome, a.willRetry]),
    ).toEqual([[c.outcome, false]]);
    expect(requestsTo('v1/task/createTask') - before).toBe(1);
    expect(server.sim.world().tasks.size).toBe(tasksBefore);
  });

  it('start/pause/stop are retried (idempotent) after a lost answer', async () => {
    const byrobot = client();
    const taskId = await newTask(byrobot, 2);
    server.sim.addFault({ kind: 'code500', endpoint: 'task/start', times: 1 });
    await byrobot.start(taskId);
    expect(attempts.filter((a) => a.endpoint === 'v1/task/start').map((a) => a.outcome)).toEqual([
      'code:500',
      'ok',
    ]);
  });

  it('keeps at most maxInFlight requests in flight at byrobot', async () => {
    server.sim.resetStats();
    server.sim.addFault({ kind: 'latency', latencyMs: 20 });
    const byrobot = client({ maxInFlight: 3 });
    await Promise.all(Array.from({ length: 24 }, () => byrobot.getCompanys()));
    expect(server.sim.stats().maxInFlight).toBe(3);
  });
});
