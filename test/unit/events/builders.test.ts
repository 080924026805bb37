import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { CallDetail } from '../../../shared/byrobot/models.ts';
import { callCompleted, fitTranscript } from '../../../shared/events/builders.ts';
import { deterministicId } from '../../../shared/events/ids.ts';
import { CallCompletedSchema } from '../../../shared/events/schemas.ts';

const call = (turns: number, contentLength = 40): CallDetail => ({
  callInstanceId: 540,
  companyId: 1,
  taskId: 31,
  taskName: '任务',
  customer: { id: 55, name: '不弃', phone: '17751279857' },
  status: { code: 2, label: 'completed' },
  finishStatus: { code: 0, label: 'answered' },
  durationSeconds: 87,
  chatRounds: turns,
  startTime: '2018-01-24T20:51:53+08:00',
  endTime: '2018-01-24T20:53:28+08:00',
  callerPhone: '18072749353',
  hangUp: { code: 0, label: 'AI' },
  recording: { url: 'https://r.example/540.wav', customerUrl: null },
  properties: { crmId: 'L-1' },
  robotDefId: 6,
  sceneDefId: 11,
  sceneRecordId: 1,
  callType: null,
  redial: { times: 1, nextAt: null },
  transcript: Array.from({ length: turns }, (_, i) => ({
    speaker: i % 2 ? 'ME' : 'AI',
    role: i % 2 ? ('customer' as const) : ('ai' as const),
    content: `第${i}句${'话'.repeat(contentLength)}`,
    startMs: i * 1000,
    endMs: i * 1000 + 900,
    at: null,
    aiUnknown: false,
    userMean: null,
  })),
  analysis: [{ name: '客户意向等级', value: 'B级(一般)', description: null, analyzeType: null, at: null }],
  intentLevel: 'B',
  createdAt: null,
  modifiedAt: null,
  raw: {},
});
const ctx = { companyId: 1, detectedAt: '2026-11-23T10:00:00+08:00', taskId: 31, taskName: '任务' };
const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x), 'utf8');

describe('Function: deterministicId', () => {
  it('is a stable UUID v5 per name', () => {
    const id = deterministicId('call', 1, 540, 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicId('call', 1, 540, 0)).toBe(id);
    expect(deterministicId('call', 1, 540, 1)).not.toBe(id);
  });
});

describe('Function: callCompleted', () => {
  it('builds a valid detail keyed by call and attempt, filter fields on top', () => {
    const event = callCompleted(ctx, call(4), 200_000);
    expect(v.is(CallCompletedSchema, event.detail)).toBe(true);
    expect(event.detail).toMatchObject({
      eventId: deterministicId('call', 1, 540, 1),
      attempt: 1,
      intentLevel: 'B',
      finishStatus: { code: 0 },
      properties: { crmId: 'L-1' },
      transcriptTrimmed: false,
      transcriptTurns: 4,
    });
  });

  it('trims a long transcript in the middle to fit, keeping both ends and flagging it', () => {
    const event = callCompleted(ctx, call(2000, 100), 64 * 1024);
    const { transcript } = event.detail;
    expect(bytes(event.detail)).toBeLessThanOrEqual(64 * 1024);
    expect(event.detail.transcriptTrimmed).toBe(true);
    expect(event.detail.transcriptTurns).toBe(2000);
    expect(transcript[0]?.content).toMatch(/^第0句/);
    expect(transcript.at(-1)?.content).toMatch(/^第1999句/);
    expect(transcript.length).toBeLessThan(2000);
    expect(transcript.length).toBeGreaterThan(50);
  });

  it('cuts the text of a single giant turn rather than dropping the event', () => {
    const detail = callCompleted(ctx, call(1, 300_000), 256 * 1024 - 1024).detail;
    expect(bytes(detail)).toBeLessThanOrEqual(256 * 1024 - 1024);
    expect(detail.transcript).toHaveLength(1);
    expect(detail.transcript[0]?.content.endsWith('…')).toBe(true);
    expect(detail.transcriptTrimmed).toBe(true);
  });

  it('leaves a detail that fits untouched', () => {
    const detail = callCompleted(ctx, call(3), 256 * 1024).detail;
    expect(fitTranscript(detail, 256 * 1024)).toBe(detail);
  });
});
