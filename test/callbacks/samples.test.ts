import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallLedger } from '../../shared/calls/ledger.ts';
import { PollerStore } from '../../shared/poller/store.ts';
import { postTask } from '../support/app-requests.ts';
import { testSnapshot, zeroCounts } from '../support/snapshot.ts';
import {
  type CallbackStack,
  detailValidator,
  fixture,
  JSON_TYPE,
  startCallbackStack,
  TEXT_TYPE,
} from './support.ts';

/*
 * Each documented sample body of callback.md, sent by real HTTP in each content type byrobot uses
 * (public cloud JSON, private cloud text/plain), is answered `success` and becomes the right event,
 * valid against its published JSON Schema (docs/events/). One stack per content type, so each
 * type's callbacks are the first the bridge sees.
 */
describe.each([
  ['public cloud', JSON_TYPE],
  ['private cloud', TEXT_TYPE],
])('byrobot’s sample callbacks, %s (%s)', (_cloud, contentType) => {
  let s: CallbackStack;
  beforeAll(async () => {
    s = (await startCallbackStack()) as CallbackStack;
  });
  afterAll(async () => s?.close());

  /** Sends a body as byrobot does and waits until it is processed: answered `success`. */
  const send = async (body: string) => {
    const reply = await s.post(body, contentType);
    expect(reply).toMatchObject({ status: 200, text: 'success' });
    await s.drained();
    return reply;
  };
  /** The one event of a detail type, valid against its published schema (docs/events/<schema>.json). */
  const onlyEvent = (detailType: string, schema: string) => {
    const [event, ...more] = s.ofType(detailType);
    expect(more).toHaveLength(0);
    const validate = detailValidator(schema);
    expect(validate(event!.detail), JSON.stringify(validate.errors)).toBe(true);
    return event!;
  };

  it('a call record becomes the Call Completed the poller would publish', async () => {
    const reply = await send(fixture('call-record'));
    expect(reply.type).toMatch(/^text\/plain/);
    const detail = onlyEvent('Call Completed', 'call-completed').detail as Record<string, unknown>;
    expect(detail).toMatchObject({
      companyId: 1,
      taskId: 1,
      taskName: 'GG0112-YX NEW1',
      callInstanceId: 1,
      attempt: 0,
      intentLevel: 'C',
      finishStatus: { code: 0, label: 'answered' },
      properties: { seatGroupName: '测试失败', success: false },
      durationSeconds: 35,
      startTime: '2019-01-12T16:09:32+08:00',
      transcriptTurns: 2,
    });
    // The ledger recorded it as announced by push, with what a later re-grade needs.
    const [attempt] = await new CallLedger(s.deps.doc, s.deps.tableName).attempts(1, 1);
    expect(attempt).toMatchObject({
      state: 'announced',
      eventId: detail.eventId,
      intentLevel: 'C',
      taskId: 1,
    });
    expect(attempt!.item).toMatchObject({ announcedVia: 'push', taskName: 'GG0112-YX NEW1' });
  });

  it('a manual intent change becomes a Call Intent Changed', async () => {
    await send(fixture('intent-change'));
    const event = onlyEvent('Call Intent Changed', 'call-intent-changed');
    // The doc's minimal body: no previous level known, no time, nobody named; the call is not the
    // simulator's, so its properties could not be read.
    expect(event.detail).toMatchObject({
      companyId: 241,
      callInstanceId: 2016,
      taskId: null,
      previousLevel: null,
      level: 'B',
      changedAt: null,
      changedBy: null,
      properties: {},
    });
  });

  it('an inbound call becomes an Inbound Call Completed', async () => {
    await send(fixture('inbound-call'));
    const event = onlyEvent('Inbound Call Completed', 'inbound-call-completed');
    expect(event.detail).toMatchObject({
      companyId: 1,
      taskId: 98,
      inboundInstanceId: 1091,
      calleePhone: '057126881788',
      intentLevel: 'B',
      customer: { name: '未知呼入客户', phone: '1010' },
      durationSeconds: 27,
      transcriptTurns: 2,
    });
    // Not a Call Completed: rules on outbound calls stay as they are.
    expect(s.ofType('Call Completed').filter((e) => e.detail.callInstanceId === 1091)).toHaveLength(0);
  });

  it('a task status push becomes Task Status Changed and Task Completed, on a task the poller knows', async () => {
    // The sample's ids point at a task of the simulator (its getTaskDetail gives the statistics),
    // which the poller has seen running: a snapshot at version 1.
    const created = await postTask(s, {
      companyId: 1,
      taskName: '回调样例',
      userPhoneIds: [11],
      robotDefId: 101,
      concurrencyQuota: 1,
    });
    const taskId = created.json.taskId as number;
    const store = new PollerStore(s.deps.doc, s.deps.tableName);
    const counts = zeroCounts();
    await store.commitSnapshot(testSnapshot({ companyId: 1, taskId, name: '回调样例', counts }));
    const body = JSON.parse(fixture('task-status'));
    body.data.data.callJobId = taskId;
    body.data.data.companyId = 1;
    await send(JSON.stringify(body));
    const status = onlyEvent('Task Status Changed', 'task-status-changed');
    const completed = onlyEvent('Task Completed', 'task-completed');
    expect(status.detail).toMatchObject({
      taskId,
      taskName: '测试-问题学习',
      status: { code: 2, label: 'completed' },
      previousStatus: { code: 1, label: 'running' },
    });
    expect(completed.detail).toMatchObject({ taskId, status: { code: 2, label: 'completed' } });
    // Only status, label, version, time and completedAnnounced moved; the poller still closes it.
    expect(await store.snapshot(1, taskId)).toMatchObject({
      status: 2,
      statusLabel: 'completed',
      version: 2,
      completedAnnounced: true,
      closed: false,
      counts,
      announced: 0,
    });
  });
});
