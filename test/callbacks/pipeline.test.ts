import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CALLBACK_TOKEN } from '../../shared/callbacks/token.ts';
import { createPollerRuntime } from '../../shared/poller/runtime.ts';
import { KEYS } from '../support/api-stack.ts';
import { type CallbackStack, startCallbackStack, until } from './support.ts';

/*
 * Push and pull together, end to end, nothing stood in for: the simulator pushes by real HTTP to
 * the receiver (with byrobot's habits switched on: lost callbacks, duplicates, reordering, a
 * `success` ignored and retried), the callback queue hands them to the processor, and the poller
 * runtime reconciles on the simulator's virtual clock, asking queryUnCallBack which pushes failed.
 * Whatever byrobot repeats or loses, each call attempt, re-grade and task end is one event id,
 * published once.
 */
let s: CallbackStack;
let taskId: number;
const doneAttempts = () =>
  (s.sim.sim.world().tasks.get(taskId)?.done ?? []).map((c) => ({
    callInstanceId: c.callInstanceId,
  }));

beforeAll(async () => {
  s = (await startCallbackStack()) as CallbackStack;
});
afterAll(async () => s?.close());

const api = async (path: string, body?: unknown) => {
  const res = await fetch(`${s.api.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
};

/** No push is being sent or waits to be sent now, and the callback queue has handled everything. */
async function settled() {
  const world = s.sim.sim.world();
  await until(
    'pushes answered',
    () =>
      s.sim.sim
        .pushes()
        .every(
          (p) =>
            p.state !== 'sending' &&
            !(p.state === 'scheduled' && p.nextAt !== null && Date.parse(p.nextAt) <= world.now),
        ),
    20_000,
  );
  await s.drained();
}

const idsOf = (detailType: string) => s.ofType(detailType).map((e) => e.detail.eventId as string);

describe('push and pull end to end, under byrobot’s push habits', () => {
  it('announces each call attempt, re-grade and task end once, whatever push loses or repeats', async () => {
    const url = `${s.api.url}/byrobot/callback/${LOCAL_CALLBACK_TOKEN}`;
    s.sim.sim.registerCallbacks({
      companyId: 1,
      callRecordUrl: url,
      taskStatusUrl: url,
      contentType: 'text',
    });
    const poller = createPollerRuntime(
      {
        tableName: s.tableName,
        eventBusName: s.config.eventBusName,
        eventSource: s.config.eventSource,
        byrobotBaseUrl: s.sim.url,
        credentials: s.config.credentials,
        companies: [1],
        backfill: false,
        maxInFlight: 4,
        dynamoEndpoint: s.dynamo.endpoint,
        eventBridgeEndpoint: s.bus.endpoint,
        callbacks: true,
        callbackGraceSeconds: 120,
      },
      { now: () => new Date(s.sim.sim.world().now) },
    );
    await poller.run(); // the company's first look: what exists is history

    const created = await api('/tasks', {
      companyId: 1,
      taskName: '推送与对账',
      userPhoneIds: [11],
      robotDefId: 101,
      concurrencyQuota: 4,
    });
    taskId = created.taskId as number;
    await api(`/tasks/${taskId}/customers`, {
      customers: Array.from({ length: 40 }, (_, i) => ({
        name: `客户${i}`,
        phone: `1380000${String(i).padStart(4, '0')}`,
        properties: { crmId: `P-${i}` },
      })),
    });
    await poller.run();
    await api(`/tasks/${taskId}/start`);
    // byrobot's habits, on call records: some lost for good (listed by queryUnCallBack), some sent
    // twice, some held back behind the next, some answered `success` and retried anyway.
    s.sim.sim.addFault({ kind: 'drop', callback: 'call', rate: 0.15 });
    s.sim.sim.addFault({ kind: 'duplicate', callback: 'call', rate: 0.2 });
    s.sim.sim.addFault({ kind: 'reorder', callback: 'call', times: 3 });
    s.sim.sim.addFault({ kind: 'answerIgnored', callback: 'call', rate: 0.1 });
    s.sim.sim.addFault({ kind: 'duplicate', callback: 'job', times: 1 });

    // Ten virtual seconds at a time, a poll each virtual minute, until the task ends and the
    // grace period after its last call has passed.
    let regraded: number[] = [];
    for (let second = 10; second <= 30 * 60; second += 10) {
      s.sim.sim.advance(10);
      await settled();
      if (second % 60 === 0) await poller.run();
      const task = s.sim.sim.world().tasks.get(taskId)!;
      // Leads re-graded in byrobot's CRM as calls come in, one of them twice, one repeated by byrobot.
      // Answered calls the robot graded below A (a re-grade to the level a call has is no change).
      const candidates = task.done
        .filter(
          (c) =>
            c.outcome?.finishStatus === 0 &&
            c.outcome.results.some((r) => r.name === '客户意向等级' && !r.value?.startsWith('A')),
        )
        .map((c) => c.callInstanceId);
      if (regraded.length === 0 && candidates.length >= 2) {
        regraded = candidates.slice(0, 2);
        for (const id of regraded) s.sim.sim.regrade(id, 'A', '销售');
      }
      if (second === 600 && regraded[0] !== undefined) {
        s.sim.sim.addFault({ kind: 'duplicate', callback: 'intent', times: 1 });
        s.sim.sim.regrade(regraded[0], 'B', '销售');
      }
      if (task.status === 2 && second >= 900) break;
    }
    // Past every grace period: the reconciler's last looks.
    for (let i = 0; i < 4; i++) {
      s.sim.sim.advance(60);
      await settled();
      await poller.run();
    }
    await settled();

    const done = doneAttempts();
    expect(done.length).toBe(40);
    const pushes = s.sim.sim.stats().pushes;
    expect(pushes.call.dropped).toBeGreaterThan(0);
    expect(pushes.call.duplicated).toBeGreaterThan(0);

    // Every call: one event id, one bus entry, whichever path announced it.
    const calls = s.ofType('Call Completed').filter((e) => e.detail.taskId === taskId);
    const byCall = new Map<number, Set<string>>();
    for (const e of calls) {
      const set = byCall.get(e.detail.callInstanceId as number) ?? new Set();
      set.add(e.detail.eventId as string);
      byCall.set(e.detail.callInstanceId as number, set);
    }
    expect([...byCall.keys()].sort()).toEqual(done.map((c) => c.callInstanceId).sort());
    expect([...byCall.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(calls).toHaveLength(40);
    // The reconciler read only what push lost: one phoneLogInfo per dropped call record at most.
    const detailReads = s.sim.sim.stats().byEndpoint['v1/task/phoneLogInfo'] ?? 0;
    expect(detailReads).toBeLessThanOrEqual(pushes.call.dropped + regraded.length);

    // Three re-grades (A, A, then B), one byrobot sent twice: three ids, each published once.
    const intents = s.ofType('Call Intent Changed');
    expect(regraded).toHaveLength(2);
    expect(intents.map((e) => [e.detail.callInstanceId, e.detail.level])).toEqual([
      [regraded[0], 'A'],
      [regraded[1], 'A'],
      [regraded[0], 'B'],
    ]);
    expect(new Set(idsOf('Call Intent Changed')).size).toBe(3);
    const last = intents.filter((e) => e.detail.callInstanceId === regraded[0]).at(-1);
    expect(last?.detail).toMatchObject({ previousLevel: 'A', level: 'B' });

    // The task's end: one Task Completed, one status change to completed, though pushed twice.
    const completed = s.ofType('Task Completed').filter((e) => e.detail.taskId === taskId);
    expect(completed).toHaveLength(1);
    const toCompleted = s
      .ofType('Task Status Changed')
      .filter((e) => e.detail.taskId === taskId && (e.detail.status as { code: number }).code === 2);
    expect(toCompleted).toHaveLength(1);
  }, 120_000);
});
