import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../dev/eventbus.ts';
import { FAULT_KINDS, type FailureKind, MODIFIER_KINDS } from '../../local/byrobot-sim/faults.ts';
import { ByrobotClient } from '../../shared/byrobot/index.ts';
import { DETAIL_TYPES } from '../../shared/events/builders.ts';
import { deterministicId } from '../../shared/events/ids.ts';
import type { CallCompletedDetail } from '../../shared/events/schemas.ts';
import type { PollerDeps } from '../../shared/poller/cycle.ts';
import type { TaskSnapshot } from '../../shared/poller/snapshot.ts';
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

/** The call ids of the task's Call Completed events, in order. */
const announcedIds = (stack: LocalStack, taskId: number) =>
  callsOf(stack, taskId)
    .map((c) => c.callInstanceId)
    .sort((x, y) => x - y);

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

const snapshotsOf = async (stack: LocalStack) => stack.store.loadSnapshots(1);
const idsOf = (events: readonly StoredEvent[], taskId: number) =>
  events
    .filter((e) => e.detail.taskId === taskId)
    .map((e) => e.detail.eventId as string)
    .sort();

/**
 * The event ids a completed task's next commit announces, from the snapshot it had: its status
 * change (keyed by the snapshot version it will be committed as), one per done call (keyed by call
 * and attempt), and its completion. A cycle that failed and the cycle that redoes it build these same
 * ids, because the snapshot did not move.
 */
async function expectedIds(stack: LocalStack, taskId: number, snapshot: TaskSnapshot) {
  const ids = [
    deterministicId('status', 1, taskId, snapshot.version + 1, snapshot.status, 2),
    deterministicId('completed', 1, taskId, 2),
  ];
  for await (const c of stack.byrobot.doneCalls({ taskId }))
    ids.push(deterministicId('call', 1, c.callInstanceId, c.redial.times));
  return ids.sort();
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
    expect(announcedIds(stack, taskId)).toEqual(await doneIds(stack, taskId));
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

  it('a listing that fails part-way leaves unlisted tasks for the next cycle', async () => {
    const taskId = await runningTask(stack, '列表故障', 3);
    await stack.advance(600);
    await stack.fault({ kind: 'http5xx', endpoint: 'task/getTasks' });
    const report = await stack.poll(1);
    expect(report.outcome).toBe('listing-failed');
    expect(callsOf(stack, taskId)).toHaveLength(0);
    await stack.clearFaults();
    await untilCompleted(stack, taskId);
    expect(announcedIds(stack, taskId)).toEqual(await doneIds(stack, taskId));
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

  it('PutEvents failing after every resend: the task is not committed; the next cycle publishes the same eventIds', async () => {
    const taskId = await runningTask(stack, '总线持续故障', 5);
    await stack.poll(1);
    const start = stack.bus.bus.events.length;
    await stack.advance(1800);
    expect((await stack.simTask(taskId)).status).toBe(2);
    const before = (await snapshotsOf(stack)).get(taskId)!;
    const attempted: string[] = [];
    // The real publisher against the real local bus; this only writes down what it was asked to send.
    const recording: PollerDeps['publish'] = (events) => {
      for (const e of events)
        if ((e.detail as { taskId?: number }).taskId === taskId) attempted.push(e.detail.eventId);
      return stack.deps.publish(events);
    };
    const failedBefore = stack.bus.bus.stats.failedEntries;
    stack.bus.bus.injectFaults({ failEntries: 1_000_000 });
    const failed = await stack.poll(1, {}, { publish: recording });
    stack.bus.bus.clearFaults();

    expect(attempted.length).toBe(5 + 2); // 5 calls, status change, completion
    expect(new Set(attempted).size).toBe(attempted.length);
    // Every entry was tried maxAttempts (5) times before the publisher gave up.
    expect(stack.bus.bus.stats.failedEntries - failedBefore).toBe(attempted.length * 5);
    expect(failed.failures).toContainEqual({ taskId, reason: expect.stringMatching(/^PublishFailedError/) });
    expect((await snapshotsOf(stack)).get(taskId)).toEqual(before);
    expect(await stack.store.announcedKeys(1, taskId)).toEqual(new Set());
    expect(idsOf(stack.bus.bus.events.slice(start), taskId)).toEqual([]);

    const mark = stack.bus.bus.events.length;
    const healthy = await stack.poll(1);
    expect(healthy.failures).toEqual([]);
    expect(idsOf(stack.bus.bus.events.slice(mark), taskId)).toEqual([...attempted].sort());
    expect(idsOf(stack.bus.bus.events.slice(start), taskId)).toEqual(
      await expectedIds(stack, taskId, before),
    );
    expect((await snapshotsOf(stack)).get(taskId)).toMatchObject({
      version: before.version + 1,
      closed: true,
    });
  });

  it('the hard stop aborts byrobot work in flight when the invocation runs out: nothing half-written, same ids next cycle', async () => {
    const slow = await runningTask(stack, '硬停止-慢', 3);
    const quick = await runningTask(stack, '硬停止-快', 3);
    await stack.poll(1);
    const start = stack.bus.bus.events.length;
    await stack.advance(1800);
    const before = await snapshotsOf(stack);
    // Only the slow task's call details are slow: 5 s, longer than the time left.
    await stack.fault({ kind: 'latency', latencyMs: 5_000, endpoint: 'task/phoneLogInfo', taskId: slow });
    // A client patient enough that only the hard stop, not its own timeout, can end the wait.
    const patient = new ByrobotClient({
      baseUrl: stack.sim.url,
      appKey: 'demo-key',
      appSecret: 'demo-secret',
      timeoutMs: 30_000,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      maxInFlight: 8,
    });
    const end = Date.now() + 2_500;
    const started = performance.now();
    // 2.5 s left, hard stop at 1.5 s left: work in flight is aborted after about 1 s.
    const report = await stack.poll(
      1,
      { reserveMs: 500, hardStopMs: 1_500 },
      { byrobot: patient, remainingMs: () => end - Date.now() },
    );
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3_000); // did not wait for the 5 s answers
    expect(report.failures).toEqual([{ taskId: slow, reason: expect.stringMatching(/time running out/) }]);
    const after = await snapshotsOf(stack);
    expect(after.get(slow)).toEqual(before.get(slow));
    expect(await stack.store.announcedKeys(1, slow)).toEqual(new Set());
    expect(idsOf(stack.bus.bus.events.slice(start), slow)).toEqual([]);
    // The task that was not slow finished and committed before the stop.
    expect(after.get(quick)).toMatchObject({ version: before.get(quick)!.version + 1, closed: true });
    expect(idsOf(stack.bus.bus.events.slice(start), quick)).toEqual(
      await expectedIds(stack, quick, before.get(quick)!),
    );

    await stack.clearFaults();
    const next = await stack.poll(1);
    expect(next.failures).toEqual([]);
    const slowIds = idsOf(stack.bus.bus.events.slice(start), slow);
    expect(slowIds).toEqual(await expectedIds(stack, slow, before.get(slow)!));
    expect(after.get(slow)!.version).toBe(before.get(slow)!.version);
    expect((await snapshotsOf(stack)).get(slow)).toMatchObject({ closed: true });
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
    expect(announcedIds(stack, taskId)).toEqual(await doneIds(stack, taskId));
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
    expect(announcedIds(stack, taskId)).toEqual(await doneIds(stack, taskId));
  });
});

describe('Poller × every simulator fault × every endpoint it reads: two changed tasks, one failing', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    // Short client timeouts and one retry keep the hang cases quick.
    stack = await startLocalStack({
      seed: 21,
      client: { timeoutMs: 400, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } },
    });
    await stack.poll(1);
  });
  afterEach(() => stack.clearFaults());
  afterAll(() => stack?.close());

  // The failure kinds, and latency; the other answer-shaping kinds have their own tests below.
  const FAULTS: Record<FailureKind | 'latency', Record<string, unknown>> = {
    latency: { kind: 'latency', latencyMs: 30 },
    http5xx: { kind: 'http5xx' },
    hang: { kind: 'hang' },
    html: { kind: 'html' },
    malformedJson: { kind: 'malformedJson' },
    code500: { kind: 'code500' },
    http429: { kind: 'http429' },
    code401: { kind: 'code401' },
    code403: { kind: 'code403' },
    code408: { kind: 'code408' },
  };
  /** Every byrobot endpoint a cycle reads. */
  const ENDPOINTS = ['task/getTasks', 'task/getTaskDetail', 'task/queryDoneTaskPhones', 'task/phoneLogInfo'];

  it('the matrix covers every failure kind the simulator has', () => {
    expect([...Object.keys(FAULTS), ...MODIFIER_KINDS.filter((k) => k !== 'latency')].sort()).toEqual(
      [...FAULT_KINDS].sort(),
    );
  });

  it.each(
    (Object.keys(FAULTS) as Array<keyof typeof FAULTS>).flatMap((kind) =>
      ENDPOINTS.map((endpoint) => [kind, endpoint] as const),
    ),
  )('%s on %s', async (kind, endpoint) => {
    const a = await runningTask(stack, `故障A-${kind}-${endpoint}`, 3);
    const b = await runningTask(stack, `故障B-${kind}-${endpoint}`, 3);
    expect((await stack.poll(1)).failures).toEqual([]); // both seen running
    // Until both completed (2-minute steps keep 36 cases inside one day's working hours): a cycle
    // then reads every endpoint for each (detail, done calls, call details).
    const statuses = async () => [(await stack.simTask(a)).status, (await stack.simTask(b)).status];
    for (let i = 0; i < 30 && (await statuses()).some((x) => x !== 2); i++) await stack.advance(120);
    expect(await statuses()).toEqual([2, 2]);
    const before = await snapshotsOf(stack);
    const [idsA, idsB] = [
      await expectedIds(stack, a, before.get(a)!),
      await expectedIds(stack, b, before.get(b)!),
    ];
    const listing = endpoint === 'task/getTasks';
    // The listing is one request for the whole company; every other endpoint's fault hits task A only.
    await stack.fault({ ...FAULTS[kind], endpoint, ...(listing ? {} : { taskId: a }) });
    const mark = stack.bus.bus.events.length;
    const faulty = await stack.poll(1);
    await stack.clearFaults();
    const during = stack.bus.bus.events.slice(mark);
    const after = await snapshotsOf(stack);

    if (kind === 'latency') {
      // Late answers are not failures: both tasks go through.
      expect(faulty.failures).toEqual([]);
      expect(idsOf(during, a)).toEqual(idsA);
      expect(idsOf(during, b)).toEqual(idsB);
      expect(after.get(a)).toMatchObject({ version: before.get(a)!.version + 1, closed: true });
      return;
    }
    if (listing) {
      // Nothing could be listed: both keep their snapshots and nothing is announced.
      expect(faulty.outcome).toBe('listing-failed');
      expect(after.get(a)).toEqual(before.get(a));
      expect(after.get(b)).toEqual(before.get(b));
      expect(during).toEqual([]);
    } else {
      // A keeps its old snapshot and announced nothing; B's events are published and committed.
      expect(faulty.outcome).toBe('done');
      expect(faulty.failures.map((f) => f.taskId)).toEqual([a]);
      expect(after.get(a)).toEqual(before.get(a));
      expect(await stack.store.announcedKeys(1, a)).toEqual(new Set());
      expect(idsOf(during, a)).toEqual([]);
      expect(idsOf(during, b)).toEqual(idsB);
      expect(after.get(b)).toMatchObject({ version: before.get(b)!.version + 1, closed: true });
    }

    // Next cycle, byrobot healthy: A is redone with the same event ids; B is not announced twice.
    const again = stack.bus.bus.events.length;
    const next = await stack.poll(1);
    expect(next.failures).toEqual([]);
    const redone = stack.bus.bus.events.slice(again);
    expect(idsOf(redone, a)).toEqual(idsA);
    expect(idsOf(redone, b)).toEqual(listing ? idsB : []);
    expect(idsOf(stack.bus.bus.events.slice(mark), b)).toEqual(idsB); // once in all
    expect((await snapshotsOf(stack)).get(a)).toMatchObject({
      version: before.get(a)!.version + 1,
      closed: true,
    });
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
