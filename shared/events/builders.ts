import type { CallDetail, Task, TaskDetail } from '../byrobot/models.ts';
import { deterministicId } from './ids.ts';
// Types only: the schemas themselves stay out of the functions that build events.
import type {
  CallCompletedDetail,
  CallIntentChangedDetail,
  ImportCompletedDetail,
  InboundCallCompletedDetail,
  TaskCompletedDetail,
  TaskStatusChangedDetail,
  TranscriptTurnDetail,
} from './schemas.ts';
import { SCHEMA_VERSION } from './version.ts';

export const DETAIL_TYPES = {
  taskStatusChanged: 'Task Status Changed',
  callCompleted: 'Call Completed',
  taskCompleted: 'Task Completed',
  importCompleted: 'Import Completed',
  callIntentChanged: 'Call Intent Changed',
  inboundCallCompleted: 'Inbound Call Completed',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** An event ready for PutEvents, before the bus name and source are attached. */
export interface BridgeEvent<D extends { eventId: string } = { eventId: string }> {
  detailType: DetailType;
  detail: D;
}

interface Context {
  companyId: number;
  detectedAt: string;
}

/** The key a final call outcome is announced under: a redialled number ends once per attempt. */
export function callKey(callInstanceId: number, attempt: number): string {
  return `${callInstanceId}#${attempt}`;
}

export function taskStatusChanged(
  ctx: Context & { version: number },
  task: Task,
  previous: { code: number; label: string } | null,
): BridgeEvent<TaskStatusChangedDetail> {
  return {
    detailType: DETAIL_TYPES.taskStatusChanged,
    detail: {
      // The snapshot version a change is committed as makes the id unique per change yet stable on replay.
      eventId: deterministicId(
        'status',
        ctx.companyId,
        task.taskId,
        ctx.version,
        previous?.code ?? 'new',
        task.status.code,
      ),
      schemaVersion: SCHEMA_VERSION,
      companyId: ctx.companyId,
      taskId: task.taskId,
      taskName: task.name,
      detectedAt: ctx.detectedAt,
      status: task.status,
      previousStatus: previous,
      counts: task.counts,
    },
  };
}

export function callCompleted(
  ctx: Context & { taskName: string; taskId: number },
  call: CallDetail,
  maxDetailBytes: number,
): BridgeEvent<CallCompletedDetail> {
  const detail: CallCompletedDetail = {
    eventId: deterministicId('call', ctx.companyId, call.callInstanceId, call.redial.times),
    schemaVersion: SCHEMA_VERSION,
    companyId: ctx.companyId,
    taskId: call.taskId ?? ctx.taskId,
    taskName: call.taskName ?? ctx.taskName,
    detectedAt: ctx.detectedAt,
    callInstanceId: call.callInstanceId,
    attempt: call.redial.times,
    callerPhone: call.callerPhone,
    ...callBody(call),
  };
  return { detailType: DETAIL_TYPES.callCompleted, detail: fitTranscript(detail, maxDetailBytes) };
}

/** A call's intent level changed after the call (someone re-graded it in byrobot's CRM). */
export function callIntentChanged(
  input: Omit<CallIntentChangedDetail, 'eventId' | 'schemaVersion'> & { seq: number },
): BridgeEvent<CallIntentChangedDetail> {
  const { seq, ...rest } = input;
  return {
    detailType: DETAIL_TYPES.callIntentChanged,
    detail: {
      // The change's sequence number on the call (shared/calls/ledger.ts intent state): stable on replay.
      eventId: deterministicId('intent', input.companyId, input.callInstanceId, seq),
      schemaVersion: SCHEMA_VERSION,
      ...rest,
    },
  };
}

/** An inbound call (a customer called the robot) ended: byrobot's inbound callback, once. */
export function inboundCallCompleted(
  ctx: Context & { taskId: number | null },
  call: CallDetail,
  inbound: { calleePhone: string | null; transfer: InboundCallCompletedDetail['transfer'] },
  maxDetailBytes: number,
): BridgeEvent<InboundCallCompletedDetail> {
  const detail: InboundCallCompletedDetail = {
    eventId: deterministicId('inbound', ctx.companyId, call.callInstanceId),
    schemaVersion: SCHEMA_VERSION,
    companyId: ctx.companyId,
    taskId: ctx.taskId,
    detectedAt: ctx.detectedAt,
    inboundInstanceId: call.callInstanceId,
    calleePhone: inbound.calleePhone,
    transfer: inbound.transfer,
    ...callBody(call),
  };
  return { detailType: DETAIL_TYPES.inboundCallCompleted, detail: fitTranscript(detail, maxDetailBytes) };
}

/** What a finished call's event carries, outbound (Call Completed) or inbound. */
function callBody(call: CallDetail) {
  const transcript: TranscriptTurnDetail[] = call.transcript.map((t) => ({
    speaker: t.speaker,
    role: t.role,
    content: t.content,
    startMs: t.startMs,
    endMs: t.endMs,
    aiUnknown: t.aiUnknown,
  }));
  return {
    intentLevel: call.intentLevel,
    finishStatus: call.finishStatus,
    status: call.status,
    customer: call.customer,
    properties: call.properties,
    durationSeconds: call.durationSeconds,
    chatRounds: call.chatRounds,
    hangUp: call.hangUp,
    startTime: call.startTime,
    endTime: call.endTime,
    recording: call.recording,
    analysis: call.analysis.map(({ name, value, description, analyzeType }) => ({
      name,
      value,
      description,
      analyzeType,
    })),
    transcript,
    transcriptTrimmed: false,
    transcriptTurns: transcript.length,
  };
}

export function taskCompleted(ctx: Context, task: TaskDetail): BridgeEvent<TaskCompletedDetail> {
  return {
    detailType: DETAIL_TYPES.taskCompleted,
    detail: {
      eventId: deterministicId('completed', ctx.companyId, task.taskId, task.status.code),
      schemaVersion: SCHEMA_VERSION,
      companyId: ctx.companyId,
      taskId: task.taskId,
      taskName: task.name,
      detectedAt: ctx.detectedAt,
      status: task.status,
      counts: task.counts,
      robotName: task.robotName,
      sceneName: task.sceneName,
      durationStat: task.durationStat,
      chatRoundStat: task.chatRoundStat,
      resultStats: task.extraStat,
    },
  };
}

export function importCompleted(
  ctx: Context & { taskId: number; taskName: string; importId: string },
  result: Omit<ImportCompletedDetail, keyof typeof commonKeys | 'importId'>,
): BridgeEvent<ImportCompletedDetail> {
  return {
    detailType: DETAIL_TYPES.importCompleted,
    detail: {
      eventId: deterministicId('import', ctx.importId),
      schemaVersion: SCHEMA_VERSION,
      companyId: ctx.companyId,
      taskId: ctx.taskId,
      taskName: ctx.taskName,
      detectedAt: ctx.detectedAt,
      importId: ctx.importId,
      ...result,
    },
  };
}
const commonKeys = {
  eventId: 1,
  schemaVersion: 1,
  companyId: 1,
  taskId: 1,
  taskName: 1,
  detectedAt: 1,
} as const;

const utf8 = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
const MARKER = '…';

/**
 * Makes a call's detail fit `maxDetailBytes` by leaving turns out of the middle of the transcript
 * (the greeting and the ending say most about a call), then, if one turn alone is too long, cutting
 * long turns' text. Never drops the event: the rest of the detail is what a CRM needs.
 */
export function fitTranscript<D extends { transcript: TranscriptTurnDetail[]; transcriptTrimmed: boolean }>(
  detail: D,
  maxDetailBytes: number,
): D {
  if (utf8(detail) <= maxDetailBytes) return detail;
  const all = detail.transcript;
  const withTurns = (turns: TranscriptTurnDetail[]) => ({
    ...detail,
    transcript: turns,
    transcriptTrimmed: true,
  });
  const budget = maxDetailBytes - utf8(withTurns([]));
  // Keep turns alternately from the head and the tail while they fit.
  const head: TranscriptTurnDetail[] = [];
  const tail: TranscriptTurnDetail[] = [];
  let used = 0;
  let i = 0;
  let j = all.length - 1;
  let fromHead = true;
  while (i <= j) {
    const turn = fromHead ? all[i]! : all[j]!;
    const size = utf8(turn) + 1;
    if (used + size > budget) break;
    used += size;
    if (fromHead) head.push(all[i++]!);
    else tail.unshift(all[j--]!);
    fromHead = !fromHead;
  }
  let kept = [...head, ...tail];
  if (kept.length === 0 && all.length > 0) {
    // Not even one whole turn fits: keep the first and last, their text cut to share the budget.
    const ends = all.length === 1 ? [all[0]!] : [all[0]!, all[all.length - 1]!];
    const perTurn = Math.max(0, Math.floor(budget / ends.length) - 200);
    kept = ends.map((t) => ({ ...t, content: cutUtf8(t.content, perTurn) }));
  }
  return withTurns(kept);
}

function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let out = '';
  let bytes = Buffer.byteLength(MARKER, 'utf8');
  for (const ch of text) {
    // JSON may escape a character to up to 6 bytes; count it at its worst.
    const size = Math.max(Buffer.byteLength(ch, 'utf8'), JSON.stringify(ch).length - 2);
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return out + MARKER;
}
