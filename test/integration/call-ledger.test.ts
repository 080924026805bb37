import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynalite } from '../../dev/dynamo.ts';
import { type LocalBus, localBusClient, startLocalBus } from '../../dev/eventbus.ts';
import { announceCalls, CallLedger, type CallRef } from '../../shared/calls/ledger.ts';
import type { BridgeEvent } from '../../shared/events/builders.ts';
import { deterministicId } from '../../shared/events/ids.ts';
import { publishEvents } from '../../shared/events/publisher.ts';
import { createDocumentClient, ensureTable } from '../../shared/store/dynamo.ts';

/** The call ledger push and pull share, over the DynamoDB protocol (dynalite) and the local bus. */
describe('CallLedger', () => {
  let dynamo: LocalDynamo;
  let local: Awaited<ReturnType<typeof startLocalBus>>;
  let bus: LocalBus;
  let doc: ReturnType<typeof createDocumentClient>;
  let tableName: string;
  let clock = 1_000_000;
  let ledger: CallLedger;
  let publish: (events: readonly BridgeEvent[]) => ReturnType<typeof publishEvents>;

  const ref = (callInstanceId: number, attempt = 0, taskId = 7): CallRef => ({
    companyId: 1,
    callInstanceId,
    attempt,
    taskId,
  });
  const event = (r: CallRef): BridgeEvent => ({
    detailType: 'Call Completed',
    detail: { eventId: deterministicId('call', r.companyId, r.callInstanceId, r.attempt) },
  });

  beforeAll(async () => {
    [dynamo, local] = await Promise.all([
      startDynalite(),
      startLocalBus({ port: 0, eventsFile: null, print: false }),
    ]);
    bus = local.bus;
    doc = createDocumentClient({ endpoint: dynamo.endpoint });
    tableName = `ledger-${randomUUID().slice(0, 8)}`;
    await ensureTable(doc, tableName);
    ledger = new CallLedger(doc, tableName, { claimMs: 60_000, now: () => clock });
    const client = localBusClient(local.endpoint);
    publish = (events) =>
      publishEvents(events, { client, eventBusName: 'test', baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 1 });
  });
  afterAll(async () => {
    await Promise.all([dynamo?.close(), local?.close()]);
  });

  it('lets one claimant through; a second finds it in flight, then announced', async () => {
    const r = ref(101);
    expect(await ledger.claim(r, 'push')).toBe('claimed');
    expect(await ledger.claim(r, 'poll')).toBe('in-flight');
    await ledger.markAnnounced(r, {
      eventId: 'e1',
      via: 'push',
      intentLevel: 'A',
      extra: { taskName: '任务', properties: { crmId: 'L-1' } },
    });
    expect(await ledger.claim(r, 'poll')).toBe('announced');
    const [attempt] = await ledger.attempts(1, 101);
    expect(attempt).toMatchObject({
      attempt: 0,
      state: 'announced',
      taskId: 7,
      eventId: 'e1',
      intentLevel: 'A',
    });
    expect(attempt?.item.properties).toEqual({ crmId: 'L-1' });
    // A repeated markAnnounced (a redelivered message) counts nothing twice.
    await ledger.markAnnounced(r, { eventId: 'e1', via: 'push' });
    expect((await ledger.counts(1)).get(7)).toBe(1);
  });

  it('hands a dead claimant’s claim over once it lapses, and a released claim at once', async () => {
    const r = ref(102);
    expect(await ledger.claim(r, 'push')).toBe('claimed');
    clock += 60_001;
    expect(await ledger.claim(r, 'poll')).toBe('claimed');
    await ledger.release(r);
    expect(await ledger.claim(r, 'push')).toBe('claimed');
    await ledger.markAnnounced(r, { eventId: 'e2', via: 'push' });
    await ledger.release(r); // too late: announced stays announced
    expect(await ledger.claim(r, 'poll')).toBe('announced');
  });

  it('keys attempts apart and tells which of many are announced', async () => {
    const refs = Array.from({ length: 130 }, (_, n) => ref(200 + n, n % 2));
    await announceCalls(
      ledger,
      refs.slice(0, 65).map((r) => ({ ref: r, event: event(r) })),
      'poll',
      publish,
    );
    const announced = await ledger.announced(refs);
    expect(announced.size).toBe(65);
    expect(announced.has('200#0')).toBe(true);
    expect(announced.has('201#1')).toBe(true);
    expect(announced.has('265#1')).toBe(false);
    expect(await ledger.claim(ref(200, 1), 'poll')).toBe('claimed');
  });

  it('announceCalls publishes each attempt once whichever path, five times over, at once', async () => {
    bus.clear();
    const r = ref(500);
    const reports = await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        announceCalls(ledger, [{ ref: r, event: event(r) }], n % 2 ? 'poll' : 'push', publish),
      ),
    );
    expect(reports.flatMap((x) => x.published)).toEqual(['500#0']);
    expect(bus.events.filter((e) => e.detail.eventId === event(r).detail.eventId)).toHaveLength(1);
  });

  it('gives the claims back when EventBridge refuses, so a retry publishes the same id', async () => {
    bus.clear();
    const r = ref(600);
    bus.injectFaults({ internalErrors: 1 });
    await expect(announceCalls(ledger, [{ ref: r, event: event(r) }], 'push', publish)).rejects.toThrow();
    expect(await ledger.claim(r, 'poll')).toBe('claimed');
    await ledger.release(r);
    const again = await announceCalls(ledger, [{ ref: r, event: event(r) }], 'poll', publish);
    expect(again.published).toEqual(['600#0']);
    expect(bus.events).toHaveLength(1);
  });

  it('moves a call’s intent state only from the state it was read as', async () => {
    expect(await ledger.intent(1, 900)).toBeNull();
    expect(await ledger.commitIntent(1, 900, { level: 'A', seq: 1, changedAt: null }, null)).toBe(true);
    expect(await ledger.commitIntent(1, 900, { level: 'B', seq: 1, changedAt: null }, null)).toBe(false);
    expect(await ledger.commitIntent(1, 900, { level: 'B', seq: 2, changedAt: null }, 1)).toBe(true);
    expect(await ledger.commitIntent(1, 900, { level: 'C', seq: 2, changedAt: null }, 1)).toBe(false);
    expect(await ledger.intent(1, 900)).toEqual({ level: 'B', seq: 2, changedAt: null });
  });

  it('keeps inbound calls apart from outbound ones with the same number', async () => {
    const inbound: CallRef = { companyId: 1, callInstanceId: 101, attempt: 0, taskId: null, inbound: true };
    expect(await ledger.claim(inbound, 'push')).toBe('claimed');
    await ledger.markAnnounced(inbound, { eventId: 'in', via: 'push' });
    expect(await ledger.claim(inbound, 'push')).toBe('announced');
    expect((await ledger.counts(1)).get(7)).toBe(1 + 1 + 65 + 1 + 1);
  });
});
