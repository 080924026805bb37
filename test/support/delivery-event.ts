import { randomUUID } from 'node:crypto';
import { EVENT_CATALOGUE } from '../../dev/event-catalogue.ts';
import type { BusEvent } from '../../shared/delivery/send.ts';

/** The catalogue's Call Completed example as EventBridge delivers it, with a fresh id. */
export function callCompletedEvent(overrides: Record<string, unknown> = {}): BusEvent {
  const entry = EVENT_CATALOGUE.find((e) => e.detailType === 'Call Completed')!;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Call Completed',
    source: 'byrobot.bridge',
    account: '000000000000',
    time: '2026-11-23T02:15:02Z',
    region: 'local',
    resources: [],
    detail: { ...entry.example, eventId: randomUUID(), ...overrides },
  };
}
