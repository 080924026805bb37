import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../shared/events/builders.ts';
import type { CallCompletedDetail } from '../../shared/events/schemas.ts';
import type { PollerStore } from '../../shared/poller/store.ts';
import { createDemoTask, customers } from '../support/demo-task.ts';
import { type LocalStack, startLocalStack } from '../support/local-stack.ts';

/** A running task with `n` customers, after the company's first (baseline) cycle. */
async function runningTask(stack: LocalStack, name: string, n: number, extra: Record<string, unknown> = {}) {
  const { taskId, variables } = await createDemoTask(stack, name, extra);
  await stack.byrobot.importCustomers({
    companyId: 1,
    taskId,
    customers: customers(n, variables, taskId * 1000),
  });
  await stack.byrobot.start(taskId);
  return taskId;
}

const callsOf = (stack: LocalStack, taskId: number) =>
  stack.details<CallCompletedDetail>(DETAIL_TYPES.callCompleted).filter((d) => d.taskId === taskId);

async function doneIds(stack: LocalStack, taskId: number) {
  const ids: number[] = [];
  for await (const c of stack.byrobot.doneCalls({ taskId })) ids.push(c.callInstanceId);
  return ids.sort((a, b) => a - b);
}

async function untilCompleted(stack: LocalStack, taskId: number, poll = () => stack.poll(1)) {
  for (let i = 0; i < 300; i++) {
    await stack.advance(60);
    await poll();
    if (stack.details(DETAIL_TYPES.taskCompleted).some((d) => d.taskId === taskId)) return;
  }
  throw new Error(`task ${taskId} did not complete`);
}

describe('Poller: what it must survive', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ seed: 11 });
    await stack.poll(1);
  });
  afterEach(async () => {
    await stack.clearFaults();
    await stack.bus.bus.clearFaults?.();
  });
  afterAll(() => stack?.close());

  it('overlapping cycles: the second one skips the company while the first holds the lease', async () => {
    const taskId = await runningTask(stack, '重叠', 4);
    await stack.advance(120);
    const [a, b] = await Promise.all([stack.poll(1), stack.poll(1)]);
    expect([a.outcome, b.outcome].sort()).toEqual(['done', 'lease-held']);
    await untilCompleted(stack, taskId);
    expect(
      callsOf(stack, taskId)
        .map((c) => c.callInstanceId)
        .sort((x, y) => x - y),
    ).toEqual(await doneIds(stack, taskId));
  });

  it('a crashed holder’s lease expires and the company is polled again', async () => {
    const now = Date.now();
    expect(await stack.store.acquireLease(1, 'crashed-run', now, 1_000)).toBe(true);
    expect((await stack.poll(1)).outcome).toBe('lease-held');
    const later = new Date(now + 2_000);
    expect((await stack.poll(1, {}, { now: () => later })).outcome).toBe('done');
  });

  it('a crash between publish and commit republishes the same events with the same ids', async () => {
    const taskId = await runningTask(stack, '崩溃', 5);
    await stack.advance(600);
    // The store is real; only commitSnapshot is made to die once, as a process crash would.
    const crashing = Object.create(stack.store) as PollerStore;
    crashing.commitSnapshot = async () => {
      throw new Error('process died before the commit');
    };
    const crashed = await stack.poll(1, {}, { store: crashing });
    expect(crashed.failures.some((f) => f.taskId === taskId)).toBe(true);
    const firstIds = callsOf(stack, taskId).map((c) => c.eventId);
    expect(firstIds.length).toBeGreaterThan(0);

    await stack.poll(1);
    const after = callsOf(stack, taskId).map((c) => c.eventId);
    // Every event of the crashed cycle came again with the same id; nothing new was invented.
    for (const id of firstIds) expect(after.filter((x) => x === id)).toHaveLength(2);
    await untilCompleted(stack, taskId);
    const unique = new Set(callsOf(stack, taskId).map((c) => c.callInstanceId));
    expect([...unique].sort((x, y) => x - y)).toEqual(await doneIds(stack, taskId));
  });

  it.each([
    ['latency', { kind: 'latency', latencyMs: 50 }],
    ['HTTP 5xx', { kind: 'http5xx' }],
    ['a hang', { kind: 'hang' }],
    ['an HTML page', { kind: 'html' }],
    ['malformed JSON', { kind: 'malformedJson' }],
    ['code 500', { kind: 'code500' }],
    ['HTTP 429', { kind: 'http429' }],
  ])(
    'byrobot failing mid-cycle with %s: the task keeps its snapshot and catches up next cycle',
    async (_name, fault) => {
      const taskId = await runningTask(stack, `故障-${fault.kind}`, 4);
      await stack.advance(900);
      await stack.fault({ ...fault, endpoint: 'task/phoneLogInfo' });
      const faulty = await stack.poll(1);
      if (fault.kind !== 'latency') {
        expect(faulty.failures.map((f) => f.taskId)).toContain(taskId);
        expect(callsOf(stack, taskId)).toHaveLength(0);
      }
      await stack.clearFaults();
      await untilCompleted(stack, taskId);
      const announced = callsOf(stack, taskId).map((c) => c.callInstanceId);
      expect(new Set(announced).size).toBe(announced.length);
      expect(announced.sort((x, y) => x - y)).toEqual(await doneIds(stack, taskId));
    },
  );

  it('a listing that fails part-way leaves unlisted tasks for the next cycle', async () => {
    const taskId = await runningTask(stack, '列表故障', 3);
    await stack.advance(600);
    await stack.fault({ kind: 'http5xx', endpoint: 'task/getTasks' });
    const report = await stack.poll(1);
    expect(report.outcome).toBe('listing-failed');
    expect(callsOf(stack, taskId)).toHaveLength(0);
    await stack.clearFaults();
    await untilCompleted(stack, taskId);
    expect(
      callsOf(stack, taskId)
        .map((c) => c.callInstanceId)
        .sort((x, y) => x - y),
    ).toEqual(await doneIds(stack, taskId));
  });

  it('PutEvents partial failures and throttling: only failed entries are resent, nothing is lost', async () => {
    const taskId = await runningTask(stack, '总线故障', 8);
    await stack.advance(1200);
    const statsBefore = { ...stack.bus.bus.stats };
    stack.bus.bus.injectFaults({ failEntries: 3, throttleCalls: 1 });
    const report = await stack.poll(1);
    expect(report.failures).toEqual([]);
    const published = callsOf(stack, taskId);
    expect(published.length).toBeGreaterThan(3);
    expect(new Set(published.map((c) => c.eventId)).size).toBe(published.length);
    // Entries sent = events + the 3 that failed once (+ the throttled call's entries, sent again).
    expect(stack.bus.bus.stats.entries - statsBefore.entries).toBeGreaterThan(published.length);
    await untilCompleted(stack, taskId);
  });

  it('redials: each final attempt of a redialled number is announced once, keyed by call and attempt', async () => {
    const taskId = await runningTask(stack, '重拨', 30, {
      repeatCall: true,
      repeatCallRule: [2, 5, 6, 10].map((phoneStatus) => ({ phoneStatus, times: 2, interval: 1 })),
    });
    await untilCompleted(stack, taskId);
    const calls = callsOf(stack, taskId);
    expect(calls.some((c) => c.attempt > 0)).toBe(true);
    expect(new Set(calls.map((c) => `${c.callInstanceId}#${c.attempt}`)).size).toBe(calls.length);
    expect(new Set(calls.map((c) => c.callInstanceId)).size).toBe(calls.length);
    expect(calls.map((c) => c.callInstanceId).sort((x, y) => x - y)).toEqual(await doneIds(stack, taskId));
  });

  it('trims a transcript that does not fit, keeps both ends and flags it', async () => {
    const taskId = await runningTask(stack, '长对话', 10);
    await untilCompleted(stack, taskId, () => stack.poll(1, { maxDetailBytes: 2_000 }));
    const calls = callsOf(stack, taskId);
    for (const call of calls) expect(Buffer.byteLength(JSON.stringify(call))).toBeLessThanOrEqual(2_000);
    const trimmed = calls.filter((c) => c.transcriptTrimmed);
    expect(trimmed.length).toBeGreaterThan(0);
    for (const call of trimmed) {
      expect(call.transcript.length).toBeLessThan(call.transcriptTurns);
      expect(call.transcript[0]).toMatchObject({ speaker: 'AI', startMs: 0 });
    }
    // The untrimmed ones are whole.
    for (const call of calls.filter((c) => !c.transcriptTrimmed))
      expect(call.transcript).toHaveLength(call.transcriptTurns);
  });

  it('running out of time: no new task is started, nothing is half-written, the next cycle does it', async () => {
    const taskId = await runningTask(stack, '时间不够', 4);
    await stack.advance(600);
    const report = await stack.poll(1, { reserveMs: 10_000 }, { remainingMs: () => 5_000 });
    expect(report.tasksDeferred).toBeGreaterThan(0);
    expect(report.tasksCommitted).toBe(0);
    expect(callsOf(stack, taskId)).toHaveLength(0);
    await untilCompleted(stack, taskId);
    expect(
      callsOf(stack, taskId)
        .map((c) => c.callInstanceId)
        .sort((x, y) => x - y),
    ).toEqual(await doneIds(stack, taskId));
  });
});

describe('Poller: first sight', () => {
  it('records a baseline without announcing history; backfill announces it', async () => {
    const stack = await startLocalStack({ seed: 3 });
    try {
      const { taskId, variables } = await createDemoTask(stack, '历史');
      await stack.byrobot.importCustomers({ companyId: 1, taskId, customers: customers(5, variables) });
      await stack.byrobot.start(taskId);
      await stack.advance(3600);
      expect((await doneIds(stack, taskId)).length).toBe(5);

      await stack.poll(1);
      expect(callsOf(stack, taskId)).toHaveLength(0);
      expect(stack.details(DETAIL_TYPES.taskCompleted).filter((d) => d.taskId === taskId)).toHaveLength(0);

      // A second bridge with backfill on, over a fresh table, announces the past.
      const other = await startLocalStack({ seed: 3 });
      try {
        const t2 = await createDemoTask(other, '历史');
        await other.byrobot.importCustomers({
          companyId: 1,
          taskId: t2.taskId,
          customers: customers(5, t2.variables),
        });
        await other.byrobot.start(t2.taskId);
        await other.advance(3600);
        await other.poll(1, { backfill: true });
        expect(callsOf(other, t2.taskId)).toHaveLength(5);
      } finally {
        await other.close();
      }
    } finally {
      await stack.close();
    }
  });
});
