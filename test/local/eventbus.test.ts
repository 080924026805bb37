import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEventLine, localBusClient, startLocalBus } from '../../dev/eventbus.ts';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});
async function bus(options: Parameters<typeof startLocalBus>[0] = {}) {
  const b = await startLocalBus({ eventsFile: null, ...options });
  running.push(b);
  return { ...b, client: localBusClient(b.endpoint) };
}
const entry = (detail: Record<string, unknown> = { taskId: 1 }, type = 'Task Status Changed') => ({
  Source: 'byrobot.bridge',
  DetailType: type,
  Detail: JSON.stringify(detail),
  EventBusName: 'byrobot-bridge-test',
});

describe('Local bus: the PutEvents wire protocol, with the real EventBridgeClient', () => {
  it('accepts entries, answers an EventId each, appends each as one JSON line to the events file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bus-')), 'events.ndjson');
    const b = await bus({ eventsFile: file });
    const out = await b.client.send(
      new PutEventsCommand({ Entries: [entry({ taskId: 1 }), entry({ taskId: 2 })] }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries?.every((e) => e.EventId)).toBe(true);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.detail.taskId)).toEqual([1, 2]);
    expect(lines[0]).toMatchObject({
      version: '0',
      source: 'byrobot.bridge',
      'detail-type': 'Task Status Changed',
      'event-bus-name': 'byrobot-bridge-test',
    });
  });

  it('refuses more than 10 entries with a ValidationException, and an entry over 256 KB per entry', async () => {
    const b = await bus();
    await expect(
      b.client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const out = await b.client.send(
      new PutEventsCommand({ Entries: [entry({ big: 'x'.repeat(262_144) }), entry()] }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.ErrorCode).toBe('InvalidArgument');
    expect(out.Entries?.[1]?.EventId).toBeTruthy();
  });

  it('injects partial failures: only the injected entries fail', async () => {
    const b = await bus();
    b.bus.injectFaults({ failEntries: 2 });
    const out = await b.client.send(new PutEventsCommand({ Entries: [entry(), entry(), entry()] }));
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'InternalFailure',
      'InternalFailure',
      'ok',
    ]);
    expect(b.bus.events).toHaveLength(1);
  });

  it('throttles whole calls; the SDK sees ThrottlingException and its own retry gets through', async () => {
    const b = await bus();
    b.bus.injectFaults({ throttleCalls: 1 });
    await expect(b.client.send(new PutEventsCommand({ Entries: [entry()] }))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    b.bus.injectFaults({ throttleCalls: 1 });
    const retrying = localBusClient(b.endpoint, 3);
    expect((await retrying.send(new PutEventsCommand({ Entries: [entry()] }))).FailedEntryCount).toBe(0);
    expect(b.bus.stats.throttled).toBe(2);
  });

  it('prints one readable line per event, phone numbers masked', () => {
    const line = formatEventLine({
      version: '0',
      id: 'x',
      'detail-type': 'Call Completed',
      source: 'byrobot.bridge',
      account: '0',
      time: '2026-11-23T02:00:00Z',
      region: 'local',
      resources: [],
      'event-bus-name': 'b',
      detail: {
        taskId: 7,
        callInstanceId: 9,
        finishStatus: { label: 'answered' },
        intentLevel: 'A',
        customer: { name: '张三', phone: '13800138000' },
        properties: { crmId: 'L-1' },
      },
    });
    expect(line).toContain('Call Completed');
    expect(line).toContain('intent A');
    expect(line).toContain('138****8000');
    expect(line).not.toContain('13800138000');
  });
});
