import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { DoneCall } from '../../shared/byrobot/models.ts';
import { announceCalls, CallLedger } from '../../shared/calls/ledger.ts';
import {
  callCompleted,
  DETAIL_TYPES,
  taskCompleted,
  taskStatusChanged,
} from '../../shared/events/builders.ts';
import type { CallCompletedDetail, TaskCompletedDetail } from '../../shared/events/schemas.ts';
import type { PollerDeps } from '../../shared/poller/cycle.ts';
import type { FailedCallback } from '../../shared/poller/reconcile.ts';
import { keys } from '../../shared/store/table.ts';
import { toBeijingIso } from '../../shared/time.ts';
import { createDemoTask, customers } from '../support/demo-task.ts';
import { type LocalStack, startLocalStack } from '../support/local-stack.ts';

/*
 * The poller as reconciler (callbacks on) against the simulator, dynalite and the local bus. The
 * simulator does not push here, so the tests are the push path: they read a done call's record
 * (phoneLogInfo) and announce it through the shared ledger with `announceCalls(…, 'push', …)`, as
 * the callback processor does with a pushed record. The poller's own byrobot requests are counted
 * by the simulator (its stats, reset before each measured cycle).
 */

const GRACE_MS = 120_000;

interface Harness {
  stack: LocalStack;
  /** The push path's ledger (its own instance over the same table, as another Lambda's would be). */
  pushLedger: CallLedger;
  /** The poller's clock: the simulator's virtual clock plus what a test adds. */
  skewMs: number;
  deps: Partial<PollerDeps>;
  pushed: Set<number>;
  /** Calls whose Call Completed the push path itself published (not found announced). */
  pushPublished: Set<number>;
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stack.close();
  harness = undefined;
});

async function start(seed: number, overrides: Partial<PollerDeps> = {}, baseline = true): Promise<Harness> {
  const stack = await startLocalStack({ seed });
  const h: Harness = {
    stack,
    pushLedger: new CallLedger(stack.doc, stack.tableName),
    skewMs: 0,
    deps: {},
    pushed: new Set(),
    pushPublished: new Set(),
  };
  h.deps = {
    callbacks: { ledger: new CallLedger(stack.doc, stack.tableName), graceMs: GRACE_MS },
    now: () => new Date(stack.sim.sim.world().now + h.skewMs),
    ...overrides,
  };
  harness = h;
  if (baseline) await poll(h); // the company's first cycle: a baseline
  return h;
}

const poll = (h: Harness) => h.stack.poll(1, {}, h.deps);

async function runningTask(h: Harness, name: string, n: number) {
  const { taskId, variables } = await createDemoTask(h.stack, name);
  await h.stack.byrobot.importCustomers({ companyId: 1, taskId, customers: customers(n, variables, taskId) });
  await h.stack.byrobot.start(taskId);
  return taskId;
}

async function doneCalls(h: Harness, taskId: number): Promise<DoneCall[]> {
  const out: DoneCall[] = [];
  for await (const c of h.stack.byrobot.doneCalls({ taskId })) out.push(c);
  return out;
}

/** The push path: each call's record announced through the ledger, as the callback processor does. */
async function push(h: Harness, taskId: number, calls: readonly DoneCall[]) {
  const reports = [];
  for (const c of calls) {
    const record = await h.stack.byrobot.phoneLogInfo(c.callInstanceId);
    const event = callCompleted(
      { companyId: 1, detectedAt: toBeijingIso(h.stack.sim.sim.world().now), taskId, taskName: 't' },
      record,
      255 * 1024,
    );
    reports.push(
      await announceCalls(
        h.pushLedger,
        [
          {
            ref: { companyId: 1, callInstanceId: c.callInstanceId, attempt: c.redial.times, taskId },
            event,
            intentLevel: record.intentLevel,
            extra: { taskName: event.detail.taskName, properties: record.properties },
          },
        ],
        'push',
        h.stack.deps.publish,
      ),
    );
    h.pushed.add(c.callInstanceId);
    if (reports.at(-1)!.published.length > 0) h.pushPublished.add(c.callInstanceId);
  }
  return reports;
}

/** Runs the simulator until the task has ended, with no poll in between. */
async function runToEnd(h: Harness, taskId: number) {
  for (let i = 0; i < 200; i++) {
    await h.stack.advance(60);
    if ((await h.stack.simTask(taskId)).status === 2) return;
  }
  throw new Error(`task ${taskId} did not end`);
}

/** The byrobot requests a measured cycle makes, by endpoint (from the simulator's own counters). */
async function measured(h: Harness) {
  h.stack.sim.sim.resetStats();
  const report = await poll(h);
  const by = h.stack.sim.sim.stats().byEndpoint;
  const count = (name: string) =>
    Object.entries(by)
      .filter(([k]) => k.endsWith(name))
      .reduce((sum, [, n]) => sum + n, 0);
  return {
    report,
    phoneLogInfo: count('task/phoneLogInfo'),
    doneList: count('task/queryDoneTaskPhones'),
  };
}

const callEvents = (h: Harness, taskId: number) =>
  h.stack.details<CallCompletedDetail>(DETAIL_TYPES.callCompleted).filter((d) => d.taskId === taskId);
/** The Call Completed events of the task that the poller published (the push path did not). */
const reconciled = (h: Harness, taskId: number) =>
  callEvents(h, taskId)
    .filter((c) => !h.pushPublished.has(c.callInstanceId))
    .map((c) => c.callInstanceId)
    .sort();
const completedEvents = (h: Harness, taskId: number) =>
  h.stack.details<TaskCompletedDetail>(DETAIL_TYPES.taskCompleted).filter((d) => d.taskId === taskId);
const snapshot = async (h: Harness, taskId: number) => (await h.stack.store.loadSnapshots(1)).get(taskId)!;

/** A task that ended with some calls never pushed: every third one. */
async function endedWithDrops(h: Harness, name: string, n: number) {
  const taskId = await runningTask(h, name, n);
  await poll(h); // first sight: created since, its status announced
  await runToEnd(h, taskId);
  const done = await doneCalls(h, taskId);
  const dropped = done.filter((_, i) => i % 3 === 1);
  await push(
    h,
    taskId,
    done.filter((c) => !dropped.includes(c)),
  );
  return { taskId, done, dropped };
}

describe('Poller as reconciler: callbacks on', () => {
  it('every call pushed: no call is read, no Call Completed from the poller, the counts add up', async () => {
    const h = await start(21);
    const taskId = await runningTask(h, '全部推送', 6);
    await poll(h);
    let cycles = 0;
    while (completedEvents(h, taskId).length === 0) {
      if (++cycles > 200) throw new Error('task did not complete');
      await h.stack.advance(60);
      const done = await doneCalls(h, taskId);
      await push(
        h,
        taskId,
        done.filter((c) => !h.pushed.has(c.callInstanceId)),
      );
      const m = await measured(h);
      expect(m.report.failures).toEqual([]);
      expect({ phoneLogInfo: m.phoneLogInfo, doneList: m.doneList }).toEqual({
        phoneLogInfo: 0,
        doneList: 0,
      });
      expect(m.report.callsReconciled).toBe(0);
    }
    const done = await doneCalls(h, taskId);
    const calls = callEvents(h, taskId);
    // One event per call, every one of them the push path's.
    expect(calls.map((c) => c.callInstanceId).sort()).toEqual(done.map((c) => c.callInstanceId).sort());
    expect(reconciled(h, taskId)).toEqual([]);
    expect(new Set(calls.map((c) => c.eventId)).size).toBe(done.length);
    expect(completedEvents(h, taskId)).toHaveLength(1);
    expect(completedEvents(h, taskId)[0]?.counts.done).toBe(done.length);
    const s = await snapshot(h, taskId);
    expect(s).toMatchObject({ closed: true, completedAnnounced: true, announced: done.length });
    expect(s.gapSince).toBeUndefined();
    expect((await h.pushLedger.counts(1)).get(taskId)).toBe(done.length);
    const after = await measured(h);
    expect(after.report.tasksChanged).toBe(0);
  });

  it('calls not pushed: nothing is read within the grace period, then exactly those, once; a late push finds them announced', async () => {
    const h = await start(22);
    const { taskId, done, dropped } = await endedWithDrops(h, '部分推送', 9);
    expect(dropped.length).toBeGreaterThan(0);

    // The gap is seen: Task Completed goes out at once, but no call is read and the task stays open.
    const first = await measured(h);
    expect({ phoneLogInfo: first.phoneLogInfo, doneList: first.doneList }).toEqual({
      phoneLogInfo: 0,
      doneList: 0,
    });
    expect(completedEvents(h, taskId)).toHaveLength(1);
    expect(callEvents(h, taskId)).toHaveLength(done.length - dropped.length);
    let s = await snapshot(h, taskId);
    expect(s.closed).toBe(false);
    expect(s.gapSince).toBe(toBeijingIso(h.stack.sim.sim.world().now));

    // Still within the grace period (60 s of 120): nothing read.
    h.skewMs = 60_000;
    const within = await measured(h);
    expect(within.report.tasksChanged).toBe(1);
    expect({ phoneLogInfo: within.phoneLogInfo, doneList: within.doneList }).toEqual({
      phoneLogInfo: 0,
      doneList: 0,
    });

    // Past it: exactly the dropped calls are read and announced, once; the task closes.
    h.skewMs = GRACE_MS + 1_000;
    const past = await measured(h);
    expect(past.report.failures).toEqual([]);
    expect(past.phoneLogInfo).toBe(dropped.length);
    expect(past.doneList).toBeGreaterThan(0);
    expect(past.report.callsReconciled).toBe(dropped.length);
    const calls = callEvents(h, taskId);
    expect(calls.map((c) => c.callInstanceId).sort()).toEqual(done.map((c) => c.callInstanceId).sort());
    expect(new Set(calls.map((c) => c.eventId)).size).toBe(done.length);
    expect(reconciled(h, taskId)).toEqual(dropped.map((c) => c.callInstanceId).sort());
    expect(completedEvents(h, taskId)).toHaveLength(1);
    s = await snapshot(h, taskId);
    expect(s).toMatchObject({ closed: true, completedAnnounced: true });
    expect(s.gapSince).toBeUndefined();

    // The pushes byrobot retries arrive after the reconciler announced: announced, no second event.
    const late = await push(h, taskId, dropped);
    expect(late.flatMap((r) => r.already)).toHaveLength(dropped.length);
    expect(late.flatMap((r) => r.published)).toEqual([]);
    expect(callEvents(h, taskId)).toHaveLength(done.length);
    expect((await measured(h)).report.tasksChanged).toBe(0);
  });

  it('a call ended within the grace period is left for its push even when the gap is old', async () => {
    const h = await start(23);
    const taskId = await runningTask(h, '新近结束', 30);
    await poll(h);
    await h.stack.advance(180);
    const early = await doneCalls(h, taskId);
    const oldest = early.at(-1)!.callInstanceId; // the oldest done call: never pushed
    await push(
      h,
      taskId,
      early.filter((c) => c.callInstanceId !== oldest),
    );
    await poll(h); // the gap is seen
    // The grace period passes with every other call pushed; then more calls end, not pushed yet.
    await h.stack.advance(GRACE_MS / 1000 + 5);
    await push(
      h,
      taskId,
      (await doneCalls(h, taskId)).filter(
        (c) => c.callInstanceId !== oldest && !h.pushed.has(c.callInstanceId),
      ),
    );
    await h.stack.advance(30);
    const young = (await doneCalls(h, taskId)).filter(
      (c) => c.callInstanceId !== oldest && !h.pushed.has(c.callInstanceId),
    );
    expect(young.length).toBeGreaterThan(0);
    const m = await measured(h);
    // Only the old unpushed call is read; the young ones wait for their pushes.
    expect(m.phoneLogInfo).toBe(1);
    expect(reconciled(h, taskId)).toEqual([oldest]);
    expect((await snapshot(h, taskId)).gapSince).toBeDefined();
    await push(h, taskId, young);
  });

  it('a push and the reconciler at the same time: one event id per call', async () => {
    const h = await start(24);
    const { taskId, done, dropped } = await endedWithDrops(h, '同时', 9);
    await poll(h); // the gap is seen
    h.skewMs = GRACE_MS + 1_000;
    const [report] = await Promise.all([poll(h), push(h, taskId, dropped)]);
    expect(report.failures).toEqual([]);
    // A call the other path held in flight is looked at again next cycle, and found announced.
    h.skewMs += 60_000;
    await poll(h);
    const calls = callEvents(h, taskId);
    expect(calls.map((c) => c.callInstanceId).sort()).toEqual(done.map((c) => c.callInstanceId).sort());
    expect(new Set(calls.map((c) => c.eventId)).size).toBe(calls.length);
    expect(await snapshot(h, taskId)).toMatchObject({ closed: true });
    expect(completedEvents(h, taskId)).toHaveLength(1);
  });

  it('byrobot’s failed pushes are read directly by phoneLogInfo, with no done-list page', async () => {
    // byrobot's queryUnCallBack lists the calls whose push failed: here, the ones the push path dropped.
    let dropped: DoneCall[] = [];
    let asked = 0;
    const failedCallbacks = async (): Promise<FailedCallback[]> => {
      asked++;
      return dropped.map((c) => ({ taskId: c.taskId, callInstanceId: c.callInstanceId }));
    };
    const h = await start(25, { failedCallbacks });
    const ended = await endedWithDrops(h, '回调失败', 9);
    dropped = ended.dropped;
    await poll(h);
    expect(asked).toBe(0); // within the grace period nothing is asked
    h.skewMs = GRACE_MS + 1_000;
    const m = await measured(h);
    expect(asked).toBe(1);
    expect({ phoneLogInfo: m.phoneLogInfo, doneList: m.doneList }).toEqual({
      phoneLogInfo: dropped.length,
      doneList: 0,
    });
    expect(m.report.callsReconciled).toBe(dropped.length);
    expect(callEvents(h, ended.taskId)).toHaveLength(ended.done.length);
    expect(await snapshot(h, ended.taskId)).toMatchObject({ closed: true });
  });

  it('the done list still finds the calls when byrobot’s failed-push list cannot be read', async () => {
    const h = await start(26, {
      failedCallbacks: async () => {
        throw new Error('queryUnCallBack: HTTP 502');
      },
    });
    const { taskId, done, dropped } = await endedWithDrops(h, '回调列表失败', 9);
    await poll(h);
    h.skewMs = GRACE_MS + 1_000;
    const m = await measured(h);
    expect(m.report.failures).toEqual([]);
    expect(m.phoneLogInfo).toBe(dropped.length);
    expect(callEvents(h, taskId)).toHaveLength(done.length);
  });

  it('a counter one short (a crash between announcing and counting) is corrected once from the done list', async () => {
    const h = await start(27);
    const taskId = await runningTask(h, '计数缺一', 6);
    await poll(h);
    await runToEnd(h, taskId);
    const done = await doneCalls(h, taskId);
    const [crashed, ...rest] = done;
    await push(h, taskId, rest);
    // The crash's outcome: the attempt announced (and its event out) but never counted.
    const record = await h.stack.byrobot.phoneLogInfo(crashed!.callInstanceId);
    const event = callCompleted(
      { companyId: 1, detectedAt: '2026-11-23T10:00:00+08:00', taskId, taskName: 't' },
      record,
      255 * 1024,
    );
    await h.stack.deps.publish([event]);
    await h.stack.doc.send(
      new PutCommand({
        TableName: h.stack.tableName,
        Item: {
          ...keys.callAttempt(1, crashed!.callInstanceId, crashed!.redial.times),
          state: 'announced',
          taskId,
          eventId: event.detail.eventId,
          announcedVia: 'push',
        },
      }),
    );
    await poll(h);
    h.skewMs = GRACE_MS + 1_000;
    const m = await measured(h);
    expect(m.phoneLogInfo).toBe(0); // every call is announced: none is read in full
    expect(m.doneList).toBeGreaterThan(0);
    expect(await snapshot(h, taskId)).toMatchObject({ closed: true, announced: done.length });
    expect(callEvents(h, taskId)).toHaveLength(done.length);
    expect((await measured(h)).report.tasksChanged).toBe(0);
  });
});

describe('Poller as reconciler: an ended task with more calls counted than done', () => {
  it('checks every call since the baseline once, and finds the missed one the extra count hid', async () => {
    const h = await start(29, {}, false);
    const taskId = await runningTask(h, '历史推送', 24);
    await h.stack.advance(150);
    await poll(h); // the company's first cycle: the calls so far are history
    const history = await doneCalls(h, taskId);
    expect(history.length).toBeGreaterThanOrEqual(2);
    expect((await snapshot(h, taskId)).baselineDone).toBe(history.length);
    // byrobot retries two history calls' pushes after the baseline: counted, though not in the gap.
    await push(h, taskId, history.slice(0, 2));
    await runToEnd(h, taskId);
    const since = (await doneCalls(h, taskId)).filter(
      (c) => !history.some((x) => x.callInstanceId === c.callInstanceId),
    );
    const missed = since[3]!;
    await push(
      h,
      taskId,
      since.filter((c) => c !== missed),
    );
    h.skewMs = GRACE_MS + 1_000;
    const m = await measured(h);
    expect(m.report.failures).toEqual([]);
    expect(m.phoneLogInfo).toBe(1);
    expect(m.report.callsReconciled).toBe(1);
    expect(reconciled(h, taskId)).toEqual([missed.callInstanceId]);
    expect(await snapshot(h, taskId)).toMatchObject({ closed: true });
    expect(completedEvents(h, taskId)).toHaveLength(1);
  });
});

describe('Poller as reconciler: turning callbacks on', () => {
  it('a task the poller announced with callbacks off goes on without reading or announcing those calls again', async () => {
    const h = await start(28);
    const callbacksOn = h.deps;
    h.deps = { now: callbacksOn.now }; // off
    const taskId = await runningTask(h, '切换', 24);
    await poll(h);
    await h.stack.advance(120);
    await poll(h);
    const offCalls = callEvents(h, taskId).length;
    expect(offCalls).toBeGreaterThan(0);

    h.deps = callbacksOn;
    await h.stack.advance(120);
    const done = await doneCalls(h, taskId);
    const fresh = done.filter(
      (c) => !callEvents(h, taskId).some((e) => e.callInstanceId === c.callInstanceId),
    );
    const [missed, ...pushedNow] = fresh;
    expect(missed).toBeDefined();
    await push(h, taskId, pushedNow);
    const seen = await measured(h);
    expect({ phoneLogInfo: seen.phoneLogInfo, doneList: seen.doneList }).toEqual({
      phoneLogInfo: 0,
      doneList: 0,
    });
    expect((await snapshot(h, taskId)).gapSince).toBeDefined();
    h.skewMs = GRACE_MS + 1_000;
    const past = await measured(h);
    expect(past.phoneLogInfo).toBe(1);
    expect(past.report.callsReconciled).toBe(1);
    const calls = callEvents(h, taskId);
    expect(new Set(calls.map((c) => c.eventId)).size).toBe(calls.length);
    expect(calls.map((c) => c.callInstanceId).sort()).toEqual(done.map((c) => c.callInstanceId).sort());
    expect((await snapshot(h, taskId)).gapSince).toBeUndefined();
  });
});

describe('Poller as reconciler: a task-status push applied to the snapshot', () => {
  /** What the callback processor does with JOB_INFO_RESULT: publish at once, commit version+1. */
  async function statusPush(h: Harness, taskId: number) {
    const before = await snapshot(h, taskId);
    const detail = await h.stack.byrobot.getTaskDetail({ companyId: 1, taskId });
    const detectedAt = toBeijingIso(h.stack.sim.sim.world().now);
    const version = before.version + 1;
    await h.stack.deps.publish([
      taskStatusChanged({ companyId: 1, detectedAt, version }, detail, {
        code: before.status,
        label: before.statusLabel,
      }),
      taskCompleted({ companyId: 1, detectedAt }, detail),
    ]);
    expect(
      await h.stack.store.commitSnapshot({
        ...before,
        status: detail.status.code,
        statusLabel: detail.status.label,
        version,
        updatedAt: detectedAt,
        completedAnnounced: true,
      }),
    ).toBe(true);
  }

  for (const mode of ['on', 'off'] as const) {
    it(`callbacks ${mode}: the next cycle publishes neither a second Task Status Changed nor a second Task Completed`, async () => {
      const h = await start(mode === 'on' ? 31 : 32);
      const taskId = await runningTask(h, `状态推送 ${mode}`, 5);
      await poll(h);
      await runToEnd(h, taskId);
      if (mode === 'on') await push(h, taskId, await doneCalls(h, taskId));
      else h.deps = {}; // the poller reads the calls itself
      await statusPush(h, taskId);
      const statusBefore = h.stack.details(DETAIL_TYPES.taskStatusChanged).filter((d) => d.taskId === taskId);
      const report = await poll(h);
      expect(report.failures).toEqual([]);
      expect(h.stack.details(DETAIL_TYPES.taskStatusChanged).filter((d) => d.taskId === taskId)).toEqual(
        statusBefore,
      );
      expect(completedEvents(h, taskId)).toHaveLength(1);
      expect(await snapshot(h, taskId)).toMatchObject({ closed: true, status: 2 });
      expect(callEvents(h, taskId)).toHaveLength((await doneCalls(h, taskId)).length);
    });
  }
});
