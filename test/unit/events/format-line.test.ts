import { describe, expect, it } from 'vitest';
import { EVENT_CATALOGUE } from '../../../dev/event-catalogue.ts';
import { formatEventLine, type StoredEvent } from '../../../dev/format-line.ts';

const stored = (detailType: string): StoredEvent => {
  const entry = EVENT_CATALOGUE.find((e) => e.detailType === detailType)!;
  return {
    version: '0',
    id: 'e-1',
    'detail-type': detailType,
    source: 'byrobot.bridge',
    account: '000000000000',
    time: '2026-12-01T08:00:00Z',
    region: 'local',
    resources: [],
    detail: entry.example as Record<string, unknown>,
    'event-bus-name': 'byrobot-bridge-local',
  };
};

describe('Function: formatEventLine', () => {
  it('shows an Import Completed with its rows, not a task’s done ?/?', () => {
    const line = formatEventLine(stored('Import Completed'));
    expect(line).toContain(
      'import imp_01JD0Q7W5N2T1K8M3R4S6V9XYZ  completed  imported 49870/50000  invalid 30',
    );
    expect(line).not.toContain('?');
  });

  it('every catalogue example gives a line without unknowns', () => {
    for (const entry of EVENT_CATALOGUE)
      expect(formatEventLine(stored(entry.detailType)), entry.detailType).not.toContain('?');
  });
});
