import * as v from 'valibot';
import { INTENT_RESULT_NAME, type IntentLevel, intentLetter } from '../byrobot/enums.ts';
import { CallDetailSchema, toInt } from '../byrobot/models.ts';

/*
 * What a byrobot push callback is (reference/byrobot-docs/callback.md), decided from its raw text
 * alone: the receiver uses it to tell a callback worth queueing from one to keep for inspection, and
 * the processor to act on a queued one. Every callback is byrobot's envelope
 * `{ code, data: { dataType, data: {…} }, resultMsg }`.
 */

export const DATA_TYPES = [
  'CALL_INSTANCE_RESULT',
  'JOB_INFO_RESULT',
  'INBOUND_CALL_INSTANCE_RESULT',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

type Raw = Record<string, unknown>;

/** The kinds of callback the processor handles, each with the ids it is keyed by. */
export type Callback =
  /** A call record: `sceneInstance` (+ `taskResult`, `phoneLog`). */
  | { kind: 'call'; dataType: 'CALL_INSTANCE_RESULT'; companyId: number; callInstanceId: number; data: Raw }
  /** A manual intent change: only `taskResult`, its 客户意向等级 entry carrying the new level. */
  | {
      kind: 'intent';
      dataType: 'CALL_INSTANCE_RESULT';
      companyId: number;
      callInstanceId: number;
      level: IntentLevel;
      /** byrobot's gmtModified of the entry, if it says (Beijing time, zone-less). */
      gmtModified: string | null;
      /** Who changed it, if byrobot says (it documents no such field; see intentChangedBy). */
      changedBy: string | null;
      data: Raw;
    }
  | {
      kind: 'inbound';
      dataType: 'INBOUND_CALL_INSTANCE_RESULT';
      companyId: number;
      inboundInstanceId: number;
      data: Raw;
    }
  | {
      kind: 'task';
      dataType: 'JOB_INFO_RESULT';
      companyId: number;
      taskId: number;
      status: number;
      data: Raw;
    };

export type Parsed =
  | { ok: true; callback: Callback; sign: string | null; dateTime: string | null }
  | { ok: false; reason: string; dataType: string | null; id: string | null };

const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

/** A positive integer id, given as a number or a string of digits. */
const id = (value: unknown): number | null => {
  const n = toInt(value);
  return n !== null && n > 0 ? n : null;
};

/**
 * Who changed an intent level. byrobot's documented bodies name nobody (the call record's
 * `handlePerson` is the robot script's name, not a person), so this reads only fields of the
 * 客户意向等级 entry itself that would name one, and is null otherwise.
 */
function intentChangedBy(entry: Raw): string | null {
  for (const field of ['operatorName', 'operator', 'modifiedBy', 'updateUserName', 'userName']) {
    const value = text(entry[field]);
    if (value && value.trim() !== '') return value.slice(0, 120);
  }
  return null;
}

/**
 * What the call-detail normaliser needs of a call record (shared/byrobot/models.ts
 * CallDetailSchema: `taskResult` a list of objects, `phoneLog.phoneLogs` a list of objects), so
 * that the processor never fails on a body the receiver accepted. The first problem, or null.
 */
function callShape(data: Raw): string | null {
  const result = v.safeParse(CallDetailSchema, data);
  if (result.success) return null;
  const issue = result.issues[0];
  const path = (issue.path ?? []).map((p) => String(p.key)).join('.');
  // The rule, not the value ("… but received <value>" could quote personal data).
  const rule = issue.message.replace(/\s+but received[\s\S]*$/, '');
  return `data.data${path ? `.${path}` : ''}: ${rule}`.slice(0, 200);
}

/** Parses and classifies one callback body. Never throws. */
export function parseCallback(raw: string): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    // Where, not what: V8's message quotes the text around the fault, which may name a customer.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    return { ok: false, reason: `malformed JSON${at ? ` at position ${at}` : ''}`, dataType: null, id: null };
  }
  const fail = (reason: string, dataType: string | null = null, idText: string | null = null): Parsed => ({
    ok: false,
    reason,
    dataType,
    id: idText,
  });
  if (!isObject(body) || !isObject(body.data)) return fail('data: not an object (byrobot envelope expected)');
  const typeText = text(body.data.dataType);
  if (!typeText) return fail('data.dataType: missing');
  if (!(DATA_TYPES as readonly string[]).includes(typeText))
    return fail(`data.dataType: unknown "${typeText.slice(0, 60)}"`, typeText.slice(0, 60));
  const dataType = typeText as DataType;
  const data = body.data.data;
  if (!isObject(data)) return fail('data.data: not an object', dataType);
  const signed = { sign: text(data.sign), dateTime: text(data.dateTime) };
  /** A call's or an inbound call's sceneInstance: its own id and its company, or why not. */
  const scene = (idField: 'callInstanceId' | 'inboundInstanceId') => {
    const si = data.sceneInstance;
    if (!isObject(si)) return fail('data.data.sceneInstance: not an object', dataType);
    const own = id(si[idField]);
    const companyId = id(si.companyId);
    if (!own) return fail(`data.data.sceneInstance.${idField}: missing or not an id`, dataType);
    if (!companyId)
      return fail('data.data.sceneInstance.companyId: missing or not an id', dataType, String(own));
    return { si, own, companyId };
  };

  if (dataType === 'JOB_INFO_RESULT') {
    const companyId = id(data.companyId);
    const taskId = id(data.callJobId);
    const status = toInt(data.status);
    if (!companyId) return fail('data.data.companyId: missing or not an id', dataType);
    if (!taskId) return fail('data.data.callJobId: missing or not an id', dataType);
    if (status === null) return fail('data.data.status: missing or not a number', dataType, String(taskId));
    return { ok: true, ...signed, callback: { kind: 'task', dataType, companyId, taskId, status, data } };
  }

  if (dataType === 'INBOUND_CALL_INSTANCE_RESULT') {
    const found = scene('inboundInstanceId');
    if ('ok' in found) return found;
    const { si, own: inboundInstanceId, companyId } = found;
    const shape = callShape({ ...data, sceneInstance: { ...si, callInstanceId: inboundInstanceId } });
    if (shape) return fail(shape, dataType, String(inboundInstanceId));
    return {
      ok: true,
      ...signed,
      callback: { kind: 'inbound', dataType, companyId, inboundInstanceId, data },
    };
  }

  // CALL_INSTANCE_RESULT: a call record, or (only taskResult) a manual intent change.
  if (data.sceneInstance !== undefined && data.sceneInstance !== null) {
    const found = scene('callInstanceId');
    if ('ok' in found) return found;
    const { si, own: callInstanceId, companyId } = found;
    if (!id(si.callJobId))
      return fail(
        'data.data.sceneInstance.callJobId: missing or not an id',
        dataType,
        String(callInstanceId),
      );
    const shape = callShape(data);
    if (shape) return fail(shape, dataType, String(callInstanceId));
    return {
      ok: true,
      ...signed,
      callback: { kind: 'call', dataType: 'CALL_INSTANCE_RESULT', companyId, callInstanceId, data },
    };
  }
  if (!Array.isArray(data.taskResult))
    return fail(
      'data.data: neither sceneInstance (a call record) nor taskResult (an intent change)',
      dataType,
    );
  const entry = data.taskResult.find((r): r is Raw => isObject(r) && r.resultName === INTENT_RESULT_NAME);
  if (!entry) return fail(`data.data.taskResult: no ${INTENT_RESULT_NAME} entry`, dataType);
  const callInstanceId = id(entry.sceneInstanceId);
  const companyId = id(entry.companyId);
  if (!callInstanceId) return fail('data.data.taskResult[].sceneInstanceId: missing or not an id', dataType);
  if (!companyId)
    return fail('data.data.taskResult[].companyId: missing or not an id', dataType, String(callInstanceId));
  const level = intentLetter(text(entry.resultValueAlias)) ?? intentLetter(text(entry.resultValue));
  if (!level)
    return fail(
      'data.data.taskResult[].resultValue: not an intent level A–F',
      dataType,
      String(callInstanceId),
    );
  return {
    ok: true,
    ...signed,
    callback: {
      kind: 'intent',
      dataType: 'CALL_INSTANCE_RESULT',
      companyId,
      callInstanceId,
      level,
      gmtModified: text(entry.gmtModified),
      changedBy: intentChangedBy(entry),
      data,
    },
  };
}
