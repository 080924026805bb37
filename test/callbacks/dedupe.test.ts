import { createHash, randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallDetailSchema, normalizeCallDetail } from '../../shared/byrobot/models.ts';
import { createCallbackProcessor } from '../../shared/callbacks/process.ts';
import type { CallbackMessage } from '../../shared/callbacks/queue.ts';
import { announceCalls, CallLedger } from '../../shared/calls/ledger.ts';
import { callCompleted } from '../../shared/events/builders.ts';
import type { Publisher } from '../../shared/events/bus-client.ts';
import { deterministicId } from '../../shared/events/ids.ts';
import { pollCompany } from '../../shared/poller/cycle.ts';
import { PollerStore } from '../../shared/poller/store.ts';
import { postAction, postImport, postTask } from '../support/app-requests.ts';
import { testSnapshot, zeroCounts } from '../support/snapshot.ts';
import { type CallbackStack, fixture, JSON_TYPE, startCallbackStack, until } from './support.ts';

/*
 * One event id per call attempt, per re-grade and per status change, whatever byrobot repeats or
 * reorders, whichever path comes first, and across a processor that dies mid-way.
 */
let s: CallbackStack;
beforeAll(async () => {
  s = (await startCallbackStack()) as CallbackStack;
});
afterAll(async () => s?.close());

const callBody = (
  callInstanceId: number,
  mutate: (si: Record<string, unknown>) => void = () => undefined,
) => {
  const body = JSON.parse(fixture('call-record'));
  body.data.data.sceneInstance.callInstanceId = callInstanceId;
  mutate(body.data.data.sceneInstance);
  return body;
};
const regrade = (callInstanceId: number, level: string, gmtModified?: string) =>
  JSON.stringify({
    code: 200,
    data: {
      dataType: 'CALL_INSTANCE_RESULT',
      data: {
        taskResult: [
          {
            companyId: 1,
            sceneInstanceId: callInstanceId,
            resultName: '客户意向等级',
            resultValue: `${level}级`,
            ...(gmtModified ? { gmtModified } : {}),
          },
        ],
      },
    },
  });
const callEvents = (callInstanceId: number) =>
  s.ofType('Call Completed').filter((e) => e.detail.callInstanceId === callInstanceId);
const intentEvents = (callInstanceId: number) =>
  s.ofType('Call Intent Changed').filter((e) => e.detail.callInstanceId === callInstanceId);

/** The SQS event Lambda would hand the processor for this callback body. */
const sqsEventFor = (body: string): SQSEvent => {
  const message = JSON.stringify({
    receivedAt: new Date().toISOString(),
    contentType: JSON_TYPE,
    body,
    sourceIp: '120.55.46.3',
  } satisfies CallbackMessage);
  const messageId = randomUUID();
  return {
    Records: [
      {
        messageId,
        receiptHandle: `rh-${messageId}`,
        body: message,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'test',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(message).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:callbacks',
        awsRegion: 'us-east-1',
      },
    ],
  };
};

describe('call records', () => {
  it('the same call pushed 5 times at once: one event id, one bus entry, counted once for its task', async () => {
    const body = JSON.stringify(callBody(501));
    const replies = await Promise.all(Array.from({ length: 5 }, () => s.post(body)));
    expect(replies.map((r) => r.text)).toEqual(Array(5).fill('success'));
    await s.drained();
    expect(callEvents(501)).toHaveLength(1);
    expect(callEvents(501)[0]!.detail.eventId).toBe(deterministicId('call', 1, 501, 0));
    const counts = await new CallLedger(s.deps.doc, s.deps.tableName).counts(1);
    expect(counts.get(1)).toBe(1);
  });

  it('a redial is a call attempt of its own: a second event, its own id', async () => {
    await s.post(JSON.stringify(callBody(502)));
    await s.post(JSON.stringify(callBody(502, (si) => Object.assign(si, { secondaryCallTimes: 1 }))));
    await s.drained();
    expect(
      callEvents(502)
        .map((e) => e.detail.attempt)
        .sort(),
    ).toEqual([0, 1]);
  });

  it('a callback after the reconciler announced the call publishes nothing', async () => {
    const body = callBody(503);
    // What the reconciler does with phoneLogInfo's answer (the same shape as the callback's data).
    const detail = normalizeCallDetail(v.parse(CallDetailSchema, body.data.data));
    const event = callCompleted(
      { companyId: 1, detectedAt: '2026-12-01T08:00:00+08:00', taskId: 1, taskName: 'GG0112-YX NEW1' },
      detail,
      255 * 1024,
    );
    const ledger = new CallLedger(s.deps.doc, s.deps.tableName);
    await announceCalls(
      ledger,
      [{ ref: { companyId: 1, callInstanceId: 503, attempt: 0, taskId: 1 }, event }],
      'poll',
      s.deps.publish,
    );
    expect(await s.post(JSON.stringify(body))).toMatchObject({ text: 'success' });
    await s.drained();
    expect(callEvents(503)).toHaveLength(1);
    expect((await ledger.attempts(1, 503))[0]!.item.announcedVia).toBe('poll');
  });

  it('both at once: while the reconciler holds the claim the push fails (SQS redelivers it), then finds it announced', async () => {
    const body = callBody(505);
    const detail = normalizeCallDetail(v.parse(CallDetailSchema, body.data.data));
    const ref = { companyId: 1, callInstanceId: 505, attempt: 0, taskId: 1 };
    const ledger = new CallLedger(s.deps.doc, s.deps.tableName);
    expect(await ledger.claim(ref, 'poll')).toBe('claimed');
    const processor = createCallbackProcessor(s.deps);
    const message = sqsEventFor(JSON.stringify(body));
    expect((await processor(message)).batchItemFailures).toHaveLength(1);
    // The reconciler publishes and records it, as announceCalls does.
    const event = callCompleted(
      { companyId: 1, detectedAt: '2026-12-01T08:00:00+08:00', taskId: 1, taskName: 'GG0112-YX NEW1' },
      detail,
      255 * 1024,
    );
    await s.deps.publish([event]);
    await ledger.markAnnounced(ref, { eventId: event.detail.eventId, via: 'poll' });
    expect((await processor(message)).batchItemFailures).toHaveLength(0);
    expect(callEvents(505)).toHaveLength(1);
  });

  it('a processor that dies between PutEvents and markAnnounced: the redelivery publishes the same id', async () => {
    const body = JSON.stringify(callBody(504));
    const message = sqsEventFor(body);
    // The first processor publishes, then never returns (the Lambda is killed before the ledger write).
    let published = false;
    const dying: Publisher = async (events) => {
      const result = await s.deps.publish(events);
      published = true;
      return new Promise<typeof result>(() => undefined);
    };
    void createCallbackProcessor({ ...s.deps, publish: dying }, { claimMs: 300 })(message);
    await until('the dying processor published', () => published, 10_000);
    // SQS redelivers the message to another processor: the claim holds until it lapses, then is taken over.
    const second = createCallbackProcessor(s.deps, { claimMs: 300 });
    await until(
      'the redelivery succeeded',
      async () => (await second(message)).batchItemFailures.length === 0,
      10_000,
    );
    const events = callEvents(504);
    expect(events).toHaveLength(2);
    expect(new Set(events.map((e) => e.detail.eventId)).size).toBe(1);
    const [attempt] = await new CallLedger(s.deps.doc, s.deps.tableName).attempts(1, 504);
    expect(attempt).toMatchObject({ state: 'announced', eventId: events[0]!.detail.eventId });
  });
});

describe('re-grades', () => {
  it('out of order with gmtModified: no rollback; each change announced once, under its own id', async () => {
    await s.post(JSON.stringify(callBody(601))); // announced at intent C
    await s.drained();
    // byrobot sends C→A (10:00) and A→B (10:05); they arrive newest first, then both again.
    expect((await s.post(regrade(601, 'B', '2026-12-01 10:05:00'))).text).toBe('success');
    await s.drained();
    expect((await s.post(regrade(601, 'A', '2026-12-01 10:00:00'))).text).toBe('success');
    await s.drained();
    await s.post(regrade(601, 'B', '2026-12-01 10:05:00'));
    await s.post(regrade(601, 'A', '2026-12-01 10:00:00'));
    await s.drained();
    const first = intentEvents(601);
    expect(first).toHaveLength(1);
    expect(first[0]!.detail).toMatchObject({
      previousLevel: 'C',
      level: 'B',
      changedAt: '2026-12-01T10:05:00+08:00',
      taskId: 1,
      properties: { seatGroupName: '测试失败' },
    });
    expect(first[0]!.detail.eventId).toBe(deterministicId('intent', 1, 601, 1));
    const ledger = new CallLedger(s.deps.doc, s.deps.tableName);
    expect(await ledger.intent(1, 601)).toEqual({
      level: 'B',
      seq: 1,
      changedAt: '2026-12-01T10:05:00+08:00',
    });
    // A later change is the next in sequence: its own id, from the level the call has now.
    await s.post(regrade(601, 'A', '2026-12-01 10:10:00'));
    await s.post(regrade(601, 'A', '2026-12-01 10:10:00'));
    await s.drained();
    const all = intentEvents(601);
    expect(all).toHaveLength(2);
    expect(all[1]!.detail).toMatchObject({ previousLevel: 'B', level: 'A' });
    expect(all[1]!.detail.eventId).toBe(deterministicId('intent', 1, 601, 2));
  });

  it('without timestamps, arrival order is the order; a re-grade to the current level is nothing', async () => {
    await s.post(JSON.stringify(callBody(602))); // C
    await s.drained();
    await s.post(regrade(602, 'C'));
    await s.drained();
    expect(intentEvents(602)).toHaveLength(0);
    await s.post(regrade(602, 'A'));
    await s.drained();
    await s.post(regrade(602, 'B'));
    await s.drained();
    expect(intentEvents(602).map((e) => `${e.detail.previousLevel}→${e.detail.level}`)).toEqual([
      'C→A',
      'A→B',
    ]);
  });
});

describe('task status', () => {
  it('JOB_INFO paused → one Task Status Changed; the poller’s next cycle publishes nothing twice', async () => {
    const created = await postTask(s, {
      companyId: 1,
      taskName: '推送暂停',
      userPhoneIds: [11],
      robotDefId: 101,
      concurrencyQuota: 1,
    });
    const taskId = created.json.taskId as number;
    await postImport(s, taskId, { customers: [{ name: '张三', phone: '13800138000' }] });
    const action = (verb: string) => postAction(s, taskId, verb);
    expect((await action('start')).status).toBe(200);
    // The real poller, with callbacks off (today's behaviour), on the same table: a baseline at running.
    const store = new PollerStore(s.deps.doc, s.deps.tableName);
    const pollerDeps = { byrobot: await s.deps.byrobot(), store, publish: s.deps.publish };
    const poll = () => pollCompany(1, pollerDeps, { ownerId: randomUUID(), reserveMs: 0 });
    await poll();
    const baseline = await store.snapshot(1, taskId);
    expect(baseline).toMatchObject({ status: 1, version: 1 });
    expect((await action('pause')).status).toBe(200);

    const body = JSON.parse(fixture('task-status'));
    Object.assign(body.data.data, { callJobId: taskId, companyId: 1, status: 4, jobName: '推送暂停' });
    for (let i = 0; i < 3; i++) expect((await s.post(JSON.stringify(body))).text).toBe('success');
    await s.drained();
    const changes = s.ofType('Task Status Changed').filter((e) => e.detail.taskId === taskId);
    expect(changes).toHaveLength(1);
    // The id the poller would have given this change: version 2, running → paused.
    expect(changes[0]!.detail.eventId).toBe(deterministicId('status', 1, taskId, 2, 1, 4));
    expect(await store.snapshot(1, taskId)).toMatchObject({
      status: 4,
      version: 2,
      counts: baseline!.counts,
    });

    const report = await poll();
    expect(report.failures).toEqual([]);
    expect(report.events).toEqual({});
    expect(s.ofType('Task Status Changed').filter((e) => e.detail.taskId === taskId)).toHaveLength(1);
  });

  it('a late non-terminal push after the task completed rolls nothing back; an unknown task publishes nothing', async () => {
    const store = new PollerStore(s.deps.doc, s.deps.tableName);
    await store.commitSnapshot(
      testSnapshot({
        companyId: 1,
        taskId: 9901,
        name: '已完成',
        status: 2,
        statusLabel: 'completed',
        counts: zeroCounts({ total: 1, done: 1, called: 1 }),
        announced: 1,
      }),
    );
    const push = (taskId: number, status: number) => {
      const body = JSON.parse(fixture('task-status'));
      Object.assign(body.data.data, { callJobId: taskId, companyId: 1, status });
      return s.post(JSON.stringify(body));
    };
    const before = s.bus.bus.events.length;
    expect((await push(9901, 4)).text).toBe('success');
    expect((await push(9902, 4)).text).toBe('success');
    await s.drained();
    expect(s.bus.bus.events.length).toBe(before);
    expect(await store.snapshot(1, 9901)).toMatchObject({ status: 2, version: 1 });
    expect(await store.snapshot(1, 9902)).toBeNull();
  });
});
