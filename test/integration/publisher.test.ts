import { randomUUID } from 'node:crypto';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localBusClient, startLocalBus } from '../../dev/eventbus.ts';
import { type BridgeEvent, DETAIL_TYPES } from '../../shared/events/builders.ts';
import { MAX_ENTRY_BYTES, putEventsEntrySize } from '../../shared/events/entry-size.ts';
import { type PublisherOptions, publishEvents } from '../../shared/events/publisher.ts';

/**
 * publishEvents against the local PutEvents endpoint (the real EventBridgeClient over HTTP). The bus
 * refuses calls of more than 10 entries and entries over 256 KB as EventBridge does, and fails entries
 * or whole calls on demand. A middleware on the client writes down each call's entries as sent.
 */
let bus: Awaited<ReturnType<typeof startLocalBus>>;
let client: EventBridgeClient;
/** The eventIds of each PutEvents call, in order, and each call's total entry size. */
const calls: Array<{ ids: string[]; bytes: number }> = [];

beforeAll(async () => {
  bus = await startLocalBus({ port: 0, eventsFile: null, print: false });
  client = localBusClient(bus.endpoint);
  client.middlewareStack.add(
    (next) => async (args) => {
      const entries = ((args.input as { Entries?: PutEventsRequestEntry[] }).Entries ?? []).map((e) => ({
        id: (JSON.parse(e.Detail ?? '{}') as { eventId: string }).eventId,
        size: putEventsEntrySize(e),
      }));
      calls.push({ ids: entries.map((e) => e.id), bytes: entries.reduce((s, e) => s + e.size, 0) });
      return next(args);
    },
    { step: 'initialize', name: 'recordEntries' },
  );
});
afterEach(() => {
  bus.bus.clearFaults();
  bus.bus.clear();
  bus.bus.stats = { calls: 0, entries: 0, failedEntries: 0, throttled: 0 };
  calls.length = 0;
});
afterAll(async () => {
  client.destroy();
  await bus.close();
});

const options = (extra: Partial<PublisherOptions> = {}): PublisherOptions => ({
  client,
  eventBusName: 'test-bus',
  baseDelayMs: 1,
  maxDelayMs: 2,
  ...extra,
});
const SOURCE = 'byrobot.bridge';
const DETAIL_TYPE = DETAIL_TYPES.taskStatusChanged; // any detail type; the publisher does not look
/** An event whose PutEvents entry is exactly `bytes` long (Source + DetailType + Detail). */
function eventOfSize(bytes: number): BridgeEvent {
  const eventId = randomUUID();
  const bare = putEventsEntrySize({
    Source: SOURCE,
    DetailType: DETAIL_TYPE,
    Detail: JSON.stringify({ eventId, pad: '' }),
  });
  return {
    detailType: DETAIL_TYPE,
    detail: { eventId, pad: 'x'.repeat(bytes - bare) } as { eventId: string },
  };
}
const small = (n: number) => Array.from({ length: n }, () => eventOfSize(200));
const idsOnBus = () => bus.bus.events.map((e) => e.detail.eventId as string);

describe('Function: publishEvents (over the local bus)', () => {
  it('sends at most 10 entries per PutEvents call, in order', async () => {
    const events = small(25);
    const result = await publishEvents(events, options());
    expect(calls.map((c) => c.ids.length)).toEqual([10, 10, 5]);
    expect(calls.flatMap((c) => c.ids)).toEqual(events.map((e) => e.detail.eventId));
    expect(result).toMatchObject({ calls: 3, failed: [] });
    expect(result.published.size).toBe(25);
    expect(idsOnBus()).toEqual(events.map((e) => e.detail.eventId));
  });

  it('exactly 10 is one call; 11 is two', async () => {
    await publishEvents(small(10), options());
    expect(calls.map((c) => c.ids.length)).toEqual([10]);
    calls.length = 0;
    await publishEvents(small(11), options());
    expect(calls.map((c) => c.ids.length)).toEqual([10, 1]);
  });

  it('keeps each call under 256 KB in all: big entries go fewer to a call', async () => {
    const events = Array.from({ length: 5 }, () => eventOfSize(100 * 1024));
    const result = await publishEvents(events, options());
    expect(result.failed).toEqual([]);
    expect(calls.map((c) => c.ids.length)).toEqual([2, 2, 1]);
    for (const c of calls) expect(c.bytes).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(bus.bus.events).toHaveLength(5);
  });

  it('an entry of exactly 256 KB is sent; one byte more is refused before sending, the rest still go', async () => {
    const atLimit = eventOfSize(MAX_ENTRY_BYTES);
    const over = eventOfSize(MAX_ENTRY_BYTES + 1);
    const others = small(3);
    const result = await publishEvents([atLimit, over, ...others], options());
    expect(result.failed).toEqual([
      {
        eventId: over.detail.eventId,
        errorCode: 'EntryTooLarge',
        errorMessage: expect.stringContaining('262145'),
      },
    ]);
    expect(calls.flatMap((c) => c.ids)).not.toContain(over.detail.eventId);
    expect(calls.map((c) => c.ids)).toEqual([[atLimit.detail.eventId], others.map((e) => e.detail.eventId)]);
    expect(new Set(idsOnBus())).toEqual(new Set([atLimit, ...others].map((e) => e.detail.eventId)));
    expect(result.published.has(atLimit.detail.eventId)).toBe(true);
  });

  it('resends only the entries that failed, and publishes each event once', async () => {
    const events = small(15);
    bus.bus.injectFaults({ failEntries: 3 }); // the first 3 entries the bus sees fail
    const result = await publishEvents(events, options());
    expect(result.failed).toEqual([]);
    expect(calls.map((c) => c.ids)).toEqual([
      events.slice(0, 10).map((e) => e.detail.eventId),
      events.slice(10).map((e) => e.detail.eventId),
      events.slice(0, 3).map((e) => e.detail.eventId), // the resend: exactly the failed ones
    ]);
    expect(bus.bus.stats).toMatchObject({ calls: 3, entries: 18, failedEntries: 3 });
    expect(idsOnBus().sort()).toEqual(events.map((e) => e.detail.eventId).sort());
  });

  it('a throttled call is resent whole; the calls that went through are not', async () => {
    const events = small(12);
    bus.bus.injectFaults({ throttleCalls: 1 });
    const result = await publishEvents(events, options());
    expect(result).toMatchObject({ failed: [], calls: 3 });
    expect(calls.map((c) => c.ids.length)).toEqual([10, 2, 10]);
    expect(calls[2]?.ids).toEqual(calls[0]?.ids);
    expect(bus.bus.stats.throttled).toBe(1);
    expect(idsOnBus().sort()).toEqual(events.map((e) => e.detail.eventId).sort());
  });

  it('entries that keep failing are reported after maxAttempts rounds, with the bus’s error', async () => {
    const events = small(4);
    bus.bus.injectFaults({ failEntries: 1_000 });
    const result = await publishEvents(events, options({ maxAttempts: 3 }));
    expect(result.calls).toBe(3);
    expect(calls.map((c) => c.ids.length)).toEqual([4, 4, 4]);
    expect(result.published.size).toBe(0);
    expect(result.failed).toEqual(
      events.map((e) => ({
        eventId: e.detail.eventId,
        errorCode: 'InternalFailure',
        errorMessage: 'injected failure',
      })),
    );
    expect(bus.bus.events).toEqual([]);
  });

  it('a whole-call failure that never clears is reported per entry with the error’s name', async () => {
    const events = small(2);
    bus.bus.injectFaults({ internalErrors: 1_000 });
    const result = await publishEvents(events, options({ maxAttempts: 2 }));
    expect(result.calls).toBe(2);
    expect(result.failed.map((f) => [f.eventId, f.errorCode])).toEqual(
      events.map((e) => [e.detail.eventId, 'InternalException']),
    );
  });
});
