import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import { simClient } from '../support/sim-client.ts';

const running: RunningSimulator[] = [];
async function sim(options: Parameters<typeof startSimulator>[0] = {}) {
  const s = await startSimulator(options);
  running.push(s);
  const byrobot = simClient(s, { retry: { maxAttempts: 1 } });
  const statusOf = async (taskId: number) => (await byrobot.getTaskDetail({ companyId: 1, taskId })).status;
  return { s, byrobot, statusOf };
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const taskInput = (extra: Record<string, unknown> = {}) => ({
  companyId: 1,
  taskName: '模拟器测试',
  taskType: 2,
  userPhoneIds: [11],
  robotDefId: 101,
  ...extra,
});
const people = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({
    name: `p${i}`,
    phone: `1370000${String(i + offset).padStart(4, '0')}`,
  }));
const raw = async (url: string, path: string, init?: RequestInit) =>
  (await fetch(`${url}${path}`, init)).json() as Promise<Record<string, unknown>>;
const keysOf = (x: unknown) => Object.keys(x as object).sort();
const seed = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/seed/${name}.response.json`, import.meta.url), 'utf8')).data;

describe('Simulator: shapes follow the seed', () => {
  it('answers every field the seed’s examples have', async () => {
    const { s, byrobot } = await sim();
    const taskId = await byrobot.createTask(taskInput({ concurrencyQuota: 5 }));
    await byrobot.importCustomers({ companyId: 1, taskId, customers: people(5) });
    await byrobot.start(taskId);
    s.sim.advance(3600);
    const tasks = await byrobot.getTasks({ companyId: 1 });
    for (const key of keysOf(seed('getTasks').list[0])) expect(tasks.items[0]?.raw).toHaveProperty(key);
    const detail = await byrobot.getTaskDetail({ companyId: 1, taskId });
    for (const key of keysOf(seed('getTaskDetail'))) expect(detail.raw).toHaveProperty(key);
    const done = await byrobot.queryDoneTaskPhones({ taskId });
    for (const key of keysOf(seed('queryDoneTaskPhones').list[0]))
      expect(done.items[0]?.raw).toHaveProperty(key);
    expect(done.items[0]?.raw.duration).toMatch(/^\d+秒$/);
    const call = await byrobot.phoneLogInfo(done.items[0]!.callInstanceId);
    const seedCall = seed('phoneLogInfo');
    for (const key of keysOf(seedCall.sceneInstance))
      expect((call.raw.sceneInstance as object) ?? {}).toHaveProperty(key);
    expect(typeof (call.raw.sceneInstance as Record<string, unknown>).duration).toBe('number');
    expect(typeof (call.raw.sceneInstance as Record<string, unknown>).properties).toBe('string');
  });
});

describe('Simulator: the task state machine', () => {
  it('start → running, pause → paused by user, start again, stop → terminated; illegal moves refused with 412', async () => {
    const { byrobot, statusOf } = await sim();
    const taskId = await byrobot.createTask(taskInput());
    await expect(byrobot.start(taskId)).rejects.toMatchObject({ code: 412 }); // no customers yet
    await byrobot.importCustomers({ companyId: 1, taskId, customers: people(3) });
    await expect(byrobot.pause(taskId)).rejects.toMatchObject({ code: 412 }); // not running
    await byrobot.start(taskId);
    await expect(byrobot.start(taskId)).rejects.toMatchObject({ code: 412 });
    await byrobot.pause(taskId);
    expect((await statusOf(taskId)).code).toBe(4);
    await byrobot.start(taskId);
    await byrobot.stop(taskId);
    expect((await statusOf(taskId)).code).toBe(6);
    await expect(byrobot.start(taskId)).rejects.toMatchObject({ code: 412 });
    await expect(byrobot.stop(taskId)).rejects.toMatchObject({ code: 412 });
    await expect(
      byrobot.importCustomers({ companyId: 1, taskId, customers: people(1, 50) }),
    ).rejects.toMatchObject({
      cause: { code: 412 },
    });
  });

  it('queues a task when the company’s AI seats are taken, and starts it when they free up', async () => {
    const { s, byrobot } = await sim({ seats: 2 });
    const a = await byrobot.createTask(taskInput({ concurrencyQuota: 2 }));
    const b = await byrobot.createTask(taskInput({ concurrencyQuota: 1, taskName: 'b' }));
    await byrobot.importCustomers({ companyId: 1, taskId: a, customers: people(4) });
    await byrobot.importCustomers({ companyId: 1, taskId: b, customers: people(2, 10) });
    await byrobot.start(a);
    await byrobot.start(b);
    expect((await byrobot.getTaskDetail({ companyId: 1, taskId: b })).status.code).toBe(7);
    s.sim.advance(3600);
    expect((await byrobot.getTaskDetail({ companyId: 1, taskId: a })).status.code).toBe(2);
    expect((await byrobot.getTaskDetail({ companyId: 1, taskId: b })).status.code).toBe(2);
  });

  it('dials only inside working hours', async () => {
    const { s, byrobot } = await sim({ startTime: '2026-11-23T19:55:00+08:00' });
    const taskId = await byrobot.createTask(taskInput({ concurrencyQuota: 1 }));
    await byrobot.importCustomers({ companyId: 1, taskId, customers: people(40) });
    await byrobot.start(taskId);
    s.sim.advance(5 * 3600); // until after midnight
    const night = (await byrobot.getTaskDetail({ companyId: 1, taskId })).counts.done ?? 0;
    expect(night).toBeLessThan(40);
    s.sim.advance(9 * 3600); // 09:55 next morning
    const morning = (await byrobot.getTaskDetail({ companyId: 1, taskId })).counts.done ?? 0;
    expect(morning).toBeGreaterThan(night);
  });

  it('pauses a running task by system (5) when its working hours end, keeps its seats, resumes (1) next morning', async () => {
    const { s, byrobot, statusOf } = await sim({ startTime: '2026-11-23T19:50:00+08:00', seats: 2 });
    const taskId = await byrobot.createTask(taskInput({ concurrencyQuota: 2 }));
    await byrobot.importCustomers({ companyId: 1, taskId, customers: people(3000) });
    await byrobot.start(taskId);
    expect((await statusOf(taskId)).code).toBe(1);
    s.sim.advance(9 * 60 + 59); // 19:59:59
    expect((await statusOf(taskId)).code).toBe(1);
    s.sim.advance(1); // 20:00:00, the task's working end
    expect(await statusOf(taskId)).toEqual({ code: 5, label: 'paused by system' });
    expect((await byrobot.getTasks({ companyId: 1, status: 5 })).items.map((t) => t.taskId)).toEqual([
      taskId,
    ]);
    // Calls in progress at 20:00 finish; then nothing is dialled all night.
    s.sim.advance(3600);
    const evening = (await byrobot.getTaskDetail({ companyId: 1, taskId })).counts.done;
    s.sim.advance(12 * 3600 - 60); // 08:59 next morning
    expect((await statusOf(taskId)).code).toBe(5);
    s.sim.advance(60); // 09:00, the working start
    expect((await statusOf(taskId)).code).toBe(1);
    s.sim.advance(1800);
    expect((await byrobot.getTaskDetail({ companyId: 1, taskId })).counts.done).toBeGreaterThan(evening ?? 0);

    // While paused by system it keeps its AI seats: another task queues behind it.
    s.sim.advance(11 * 3600); // past 20:00 again
    expect((await statusOf(taskId)).code).toBe(5);
    const other = await byrobot.createTask(taskInput({ taskName: 'other', concurrencyQuota: 1 }));
    await byrobot.importCustomers({ companyId: 1, taskId: other, customers: people(1, 500) });
    await byrobot.start(other);
    expect((await statusOf(other)).code).toBe(7);
    // A user's pause of a task paused by system frees its seats; it does not resume by itself.
    await byrobot.pause(taskId);
    expect((await statusOf(taskId)).code).toBe(4);
    expect((await statusOf(other)).code).toBe(5); // took the seats, and it is night
    s.sim.advance(14 * 3600);
    expect((await statusOf(taskId)).code).toBe(4);
    expect((await statusOf(other)).code).toBe(2);
  });

  it('a break in the working day pauses by system and resumes after it', async () => {
    const { s, byrobot, statusOf } = await sim({ startTime: '2026-11-23T11:30:00+08:00' });
    const taskId = await byrobot.createTask(
      taskInput({ concurrencyQuota: 1, breakStartTime: '12:00', breakEndTime: '14:00' }),
    );
    await byrobot.importCustomers({ companyId: 1, taskId, customers: people(300) });
    await byrobot.start(taskId);
    s.sim.advance(31 * 60); // 12:01
    expect((await statusOf(taskId)).code).toBe(5);
    s.sim.advance(60 * 60); // 13:01
    expect((await statusOf(taskId)).code).toBe(5);
    s.sim.advance(60 * 60); // 14:01
    expect((await statusOf(taskId)).code).toBe(1);
  });

  it('a status forced to 5 stays until changed (no automatic resume)', async () => {
    const { s, byrobot, statusOf } = await sim();
    const taskId = await byrobot.createTask(taskInput());
    await byrobot.importCustomers({ companyId: 1, taskId, customers: people(3) });
    await byrobot.start(taskId);
    await raw(s.url, `/__sim/tasks/${taskId}/status`, {
      method: 'POST',
      body: JSON.stringify({ status: 5 }),
    });
    s.sim.advance(24 * 3600);
    expect((await statusOf(taskId)).code).toBe(5);
    await byrobot.start(taskId);
    s.sim.advance(3600);
    expect((await statusOf(taskId)).code).toBe(2);
  });

  it('a scheduled task starts by itself on its start date', async () => {
    const { s, byrobot, statusOf } = await sim();
    const taskId = await byrobot.createTask(
      taskInput({ taskType: 1, startDate: '2026-11-24', workingStartTime: '09:30' }),
    );
    await byrobot.importCustomers({ companyId: 1, taskId, customers: people(2) });
    s.sim.advance(12 * 3600);
    expect((await statusOf(taskId)).code).toBe(0);
    s.sim.advance(12 * 3600);
    expect([1, 2]).toContain((await statusOf(taskId)).code);
  });

  it('validates createTask as byrobot would', async () => {
    const { byrobot } = await sim();
    for (const bad of [
      { workingStartTime: '20:00', workingEndTime: '08:00' },
      { workingStartTime: '12:00', workingEndTime: '12:00' },
      { workingStartTime: '9:00' },
      { userPhoneIds: [999] },
      { robotDefId: 1 },
      { taskType: 3 },
      { taskType: 1 }, // scheduled without a start date
      { taskName: '' },
      { repeatCall: true, repeatCallRule: [{ phoneStatus: 0, times: 1, interval: 5 }] },
    ]) {
      // callType given, so the simulator (not the client's derivation) judges the rest.
      await expect(
        byrobot.createTask(taskInput({ callType: 1, ...bad })),
        JSON.stringify(bad),
      ).rejects.toMatchObject({ code: 412 });
    }
    await expect(byrobot.createTask(taskInput({ companyId: 9 }))).rejects.toMatchObject({ code: 403 });
  });
});

describe('Simulator: imports', () => {
  it('refuses more than 10,000 per request and counts repeats and missing script variables', async () => {
    const { byrobot } = await sim();
    const taskId = await byrobot.createTask(taskInput({ robotDefId: 102 }));
    await expect(
      byrobot.importTaskCustomer({ companyId: 1, taskId, customers: people(10_001) }).catch((e: unknown) => {
        throw e;
      }),
    ).rejects.toThrow(RangeError); // the client refuses before sending…
    const res = await fetch(`${running[0]!.url}/openapi/v2/task/importTaskCustomer`, { method: 'POST' });
    expect(((await res.json()) as { code: number }).code).toBe(401); // …and unsigned requests are refused
    const result = await byrobot.importTaskCustomer({
      companyId: 1,
      taskId,
      customers: [
        { name: 'a', phone: '13800000001', properties: { 还款金额: '100' } },
        { name: 'b', phone: '13800000001', properties: { 还款金额: '100' } },
        { name: 'c', phone: '13800000002' },
      ],
    });
    expect(result).toMatchObject({ successNum: 1, repeatNum: 1, placeFailNum: 1 });
    const again = await byrobot.importTaskCustomer({
      companyId: 1,
      taskId,
      customers: [{ name: 'a', phone: '13800000001', properties: { 还款金额: '100' } }],
    });
    expect(again).toMatchObject({ successNum: 0, repeatNum: 1 });
  });
});

describe('Simulator: controls', () => {
  it('is deterministic under a seed', async () => {
    const outcomes: string[] = [];
    for (let run = 0; run < 2; run++) {
      const { s, byrobot } = await sim({ seed: 42 });
      const taskId = await byrobot.createTask(taskInput({ concurrencyQuota: 3 }));
      await byrobot.importCustomers({ companyId: 1, taskId, customers: people(20) });
      await byrobot.start(taskId);
      s.sim.advance(7200);
      const calls = [];
      for await (const c of byrobot.doneCalls({ taskId }))
        calls.push(`${c.callInstanceId}:${c.finishStatus?.code}:${c.durationSeconds}:${c.endTime}`);
      outcomes.push(calls.join(','));
    }
    expect(outcomes[0]).toBe(outcomes[1]);
    expect(outcomes[0]?.split(',')).toHaveLength(20);
  });

  it('exposes clock, state, stats, faults and reset over HTTP', async () => {
    const { s, byrobot, statusOf } = await sim();
    expect((await raw(s.url, '/__sim/clock')).now).toBe('2026-11-23T10:00:00+08:00');
    expect(
      (await raw(s.url, '/__sim/clock/advance', { method: 'POST', body: JSON.stringify({ seconds: 90 }) }))
        .now,
    ).toBe('2026-11-23T10:01:30+08:00');
    const fault = await raw(s.url, '/__sim/faults', {
      method: 'POST',
      body: JSON.stringify({ kind: 'code500', times: 1 }),
    });
    expect(fault).toMatchObject({ id: 1, kind: 'code500' });
    await expect(byrobot.getCompanys()).rejects.toMatchObject({ code: 500 });
    await expect(byrobot.getCompanys()).resolves.toHaveLength(2);
    const stats = await raw(s.url, '/__sim/stats');
    expect(stats).toMatchObject({ total: 2, byEndpoint: { 'v1/company/getCompanys': 2 } });
    const taskId = await byrobot.createTask(taskInput());
    expect(((await raw(s.url, '/__sim/state')).tasks as unknown[]).length).toBe(1);
    await raw(s.url, `/__sim/tasks/${taskId}/status`, {
      method: 'POST',
      body: JSON.stringify({ status: 9 }),
    });
    expect(await statusOf(taskId)).toEqual({
      code: 9,
      label: 'line in arrears',
    });
    await raw(s.url, '/__sim/reset', { method: 'POST' });
    expect(((await raw(s.url, '/__sim/state')).tasks as unknown[]).length).toBe(0);
    const bad = await fetch(`${s.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'nope' }),
    });
    expect(bad.status).toBe(400);
  });
});
