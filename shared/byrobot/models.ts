import * as v from 'valibot';
import { beijingToIso, beijingToIsoOrNever } from '../time.ts';
import {
  CALL_STATUS,
  CALL_TYPE,
  type Coded,
  codedOrNull,
  FINISH_STATUS,
  HANG_UP,
  INTENT_RESULT_NAME,
  type IntentLevel,
  intentLetter,
  TASK_STATUS,
  TASK_TYPE,
} from './enums.ts';

/*
 * Response schemas and their normalisers. The schemas check only what the normalisers rely on (ids are
 * numeric, lists are arrays) and keep every unknown field: byrobot adds fields over time and differs
 * between versions (`duration` is `"27秒"` in one endpoint and a number in another, counts are `null`
 * in lists). Each normalised object keeps byrobot's original item in `raw`.
 */

type Raw = Record<string, unknown>;
const numeric = v.union([v.number(), v.pipe(v.string(), v.regex(/^-?\d+$/))]);
const idField = numeric;

export const PageSchema = <T extends v.GenericSchema>(itemSchema: T) =>
  v.looseObject({
    pageNum: v.nullish(numeric),
    pageSize: v.nullish(numeric),
    total: v.nullish(numeric),
    pages: v.nullish(numeric),
    list: v.nullish(v.array(itemSchema)),
  });

export const TaskItemSchema = v.looseObject({ callJobId: idField, status: v.nullish(numeric) });
export const DoneCallItemSchema = v.looseObject({ callInstanceId: idField });
export const NotDialedItemSchema = v.looseObject({ callInstanceId: v.nullish(idField) });
export const CompanySchema = v.looseObject({ companyId: idField });
export const PhoneSchema = v.looseObject({ userPhoneId: idField });
export const RobotSchema = v.looseObject({ robotDefId: idField });
export const CallDetailSchema = v.looseObject({
  phoneLog: v.nullish(v.looseObject({ phoneLogs: v.nullish(v.array(v.looseObject({}))) })),
  sceneInstance: v.looseObject({ callInstanceId: idField }),
  taskResult: v.nullish(v.array(v.looseObject({}))),
});
export const ImportV2Schema = v.nullish(v.looseObject({}));
/** queryUnCallBack's items (callback.md): a call record whose push byrobot failed to deliver. */
export const UndeliveredCallbackItemSchema = v.looseObject({ callInstanceId: idField });

// ---------- coercion ----------

export function toInt(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return null;
}
function str(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}
function bool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1' || value === 'true') return true;
  if (value === 0 || value === '0' || value === 'false') return false;
  return null;
}
function list(value: unknown): Raw[] {
  return Array.isArray(value) ? value.filter((x): x is Raw => typeof x === 'object' && x !== null) : [];
}

/**
 * Call duration in seconds from any form byrobot uses: `87`, `"27"`, `"27秒"`, `"1分5秒"`,
 * `"1小时2分3秒"`. null when absent or unreadable.
 */
export function parseDurationSeconds(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s));
  const m = /^(?:(\d+)\s*(?:小时|时|h))?\s*(?:(\d+)\s*(?:分钟|分|m))?\s*(?:(\d+)\s*(?:秒|s))?$/.exec(s);
  if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** `properties` comes back as a JSON string; anything unreadable becomes `{}` (raw text kept apart). */
export function parseProperties(value: unknown): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ...(value as Raw) };
  if (typeof value !== 'string' || value.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Raw) : {};
  } catch {
    return {};
  }
}

// ---------- models ----------

export interface Page<T> {
  pageNum: number;
  pageSize: number;
  /** -1 when byrobot did not say (a bare list, or a page without `total`). */
  total: number;
  /** Without `total` and `pages`: this page, or the next one while pages come back full. */
  pages: number;
  items: T[];
}

export interface NameValue {
  name: string;
  value: number | string | null;
}

export interface TaskCounts {
  total: number | null;
  done: number | null;
  called: number | null;
  rejected: number | null;
  unavailable: number | null;
  fromUnavailable: number | null;
}

export interface TaskCallerLine {
  userPhoneId: number | null;
  phone: string | null;
  phoneName: string | null;
}

export interface Task {
  taskId: number;
  name: string;
  type: Coded | null;
  status: Coded;
  startDate: string | null;
  workingStartTime: string | null;
  workingEndTime: string | null;
  breakStartTime: string | null;
  breakEndTime: string | null;
  sceneDefId: number | null;
  remark: string | null;
  counts: TaskCounts;
  callerLines: TaskCallerLine[];
  raw: Raw;
}

export interface TaskDetail extends Task {
  robotName: string | null;
  sceneName: string | null;
  sceneRecordName: string | null;
  durationStat: NameValue[];
  chatRoundStat: NameValue[];
  resultDefs: Array<{ name: string; values: string[] }>;
  extraStat: Record<string, NameValue[]>;
}

export interface Redial {
  /** How many redials were made. */
  times: number;
  /** When the next redial is due; null for never. */
  nextAt: string | null;
}

/** How a call went, as a finished-call list item and a call's detail both say it. */
export interface CallProgress {
  status: Coded | null;
  finishStatus: Coded | null;
  durationSeconds: number | null;
  chatRounds: number | null;
  startTime: string | null;
  endTime: string | null;
  callerPhone: string | null;
}

export interface DoneCall extends CallProgress {
  callInstanceId: number;
  taskId: number | null;
  taskName: string | null;
  sceneDefId: number | null;
  customer: { name: string | null; phone: string | null };
  recordingUrl: string | null;
  redial: Redial;
  createdAt: string | null;
  modifiedAt: string | null;
  results: NameValue[];
  intentLevel: IntentLevel | null;
  raw: Raw;
}

export interface TranscriptTurn {
  /** byrobot's speaker: `AI` or `ME` (the customer). */
  speaker: string;
  role: 'ai' | 'customer' | 'unknown';
  content: string;
  /** Offsets into the recording, in milliseconds. */
  startMs: number | null;
  endMs: number | null;
  at: string | null;
  /** The robot could not answer this turn. */
  aiUnknown: boolean;
  userMean: string | null;
}

export interface AnalysisResult {
  name: string;
  value: string | null;
  description: string | null;
  analyzeType: string | null;
  at: string | null;
}

export interface CallDetail extends CallProgress {
  callInstanceId: number;
  companyId: number | null;
  taskId: number | null;
  taskName: string | null;
  customer: { id: number | null; name: string | null; phone: string | null };
  hangUp: Coded | null;
  recording: { url: string | null; customerUrl: string | null };
  /** The import `properties`, parsed back into an object: the CRM's record id travels this way. */
  properties: Record<string, unknown>;
  robotDefId: number | null;
  sceneDefId: number | null;
  sceneRecordId: number | null;
  callType: Coded | null;
  redial: Redial;
  transcript: TranscriptTurn[];
  analysis: AnalysisResult[];
  intentLevel: IntentLevel | null;
  createdAt: string | null;
  modifiedAt: string | null;
  raw: Raw;
}

export interface NotDialedCustomer {
  callInstanceId: number | null;
  customer: { name: string | null; phone: string | null };
  status: Coded | null;
  startTime: string | null;
  callerPhone: string | null;
  /** The fuller docs' fields (the POST form); null where byrobot leaves them out. */
  corpName: string | null;
  calledTimes: number | null;
  raw: Raw;
}

export interface Company {
  companyId: number;
  companyName: string | null;
  raw: Raw;
}

export interface CallerLine {
  userPhoneId: number;
  phone: string | null;
  phoneName: string | null;
  phoneType: Coded | null;
  available: boolean | null;
  raw: Raw;
}

export interface Robot {
  robotDefId: number;
  robotName: string | null;
  sceneDefId: number | null;
  sceneRecords: Array<{ sceneRecordId: number | null; sceneRecordName: string | null }>;
  raw: Raw;
}

/** A call record whose push callback byrobot failed to deliver (`queryUnCallBack`). */
export interface UndeliveredCallback {
  /** The call (outbound `callInstanceId`, inbound `inboundInstanceId`). */
  callInstanceId: number;
  direction: 'outbound' | 'inbound';
  taskId: number | null;
  customerPhone: string | null;
  /** When the call was dialled (`callerTime`), ISO 8601 +08:00. */
  callerTime: string | null;
  raw: Raw;
}

export interface ImportBatchResult {
  /** byrobot's summary text (v2). */
  message: string | null;
  successNum: number | null;
  repeatNum: number | null;
  placeFailNum: number | null;
}

/** What importCustomers answers: byrobot's counts over all its requests. */
export interface ImportSummary {
  requests: number;
  submitted: number;
  /** Sums over the requests; null when byrobot did not count (v1). */
  successNum: number | null;
  repeatNum: number | null;
  placeFailNum: number | null;
  messages: string[];
  /**
   * Requests whose first answer was lost (timeout, dropped connection) and whose counts were then
   * settled from the task's customer count before and after, not from the retry's answer (which
   * counts the rows the lost attempt added as repeats).
   */
  settledByTaskCount: number;
  /**
   * Rows of such requests that could not be settled (the task's count could not be read): byrobot
   * counted them as repeats, but they may be rows the lost attempt added. 0 when every count is sure.
   */
  unsettled: number;
}

// ---------- normalisers ----------

const nameValues = (value: unknown): NameValue[] =>
  list(value).map((x) => ({
    name: str(x.name) ?? '',
    value: typeof x.value === 'number' || typeof x.value === 'string' ? x.value : null,
  }));

export function normalizeTask(raw: Raw): Task {
  const status = codedOrNull(TASK_STATUS, raw.status) ?? { code: -1, label: 'unknown (missing)' };
  return {
    taskId: toInt(raw.callJobId) ?? toInt(raw.taskId) ?? -1,
    name: str(raw.jobName) ?? str(raw.taskName) ?? '',
    type: codedOrNull(TASK_TYPE, raw.jobType ?? raw.taskType),
    status,
    startDate: str(raw.startDate),
    workingStartTime: str(raw.workingStartTime),
    workingEndTime: str(raw.workingEndTime),
    breakStartTime: str(raw.breakStartTime),
    breakEndTime: str(raw.breakEndTime),
    sceneDefId: toInt(raw.sceneDefId),
    remark: str(raw.remark),
    counts: {
      total: toInt(raw.totalCount),
      done: toInt(raw.doneCount),
      called: toInt(raw.calledCount),
      rejected: toInt(raw.rejectedCount),
      unavailable: toInt(raw.unavailableCount),
      fromUnavailable: toInt(raw.fromUnavailableCount),
    },
    callerLines: list(raw.callPhones).map((p) => ({
      userPhoneId: toInt(p.userPhoneId),
      phone: str(p.phone),
      phoneName: str(p.phoneName),
    })),
    raw,
  };
}

export function normalizeTaskDetail(raw: Raw): TaskDetail {
  const extra: Record<string, NameValue[]> = {};
  if (raw.extraStat && typeof raw.extraStat === 'object') {
    for (const [name, values] of Object.entries(raw.extraStat as Raw)) extra[name] = nameValues(values);
  }
  return {
    ...normalizeTask(raw),
    robotName: str(raw.robotDefName),
    sceneName: str(raw.sceneDefName),
    sceneRecordName: str(raw.sceneRecordName),
    durationStat: nameValues(raw.durationStat),
    chatRoundStat: nameValues(raw.chatRoundStat),
    resultDefs: list(raw.resultDefs).map((d) => ({
      name: str(d.name) ?? '',
      values: Array.isArray(d.values) ? d.values.map((x) => String(x)) : [],
    })),
    extraStat: extra,
  };
}

function intentFrom(results: Array<{ name: string; value: string | number | null }>): IntentLevel | null {
  const found = results.find((r) => r.name === INTENT_RESULT_NAME);
  return found ? intentLetter(String(found.value ?? '')) : null;
}

/** `duration` is `"27秒"` in queryDoneTaskPhones and a number in phoneLogInfo: both are read here. */
function callProgress(raw: Raw): CallProgress {
  return {
    status: codedOrNull(CALL_STATUS, raw.status),
    finishStatus: codedOrNull(FINISH_STATUS, raw.finishStatus),
    durationSeconds: parseDurationSeconds(raw.duration),
    chatRounds: toInt(raw.chatRound),
    startTime: beijingToIso(str(raw.startTime)),
    endTime: beijingToIso(str(raw.endTime)),
    callerPhone: str(raw.callerPhone),
  };
}

function redialOf(raw: Raw): Redial {
  return {
    times: toInt(raw.secondaryCallTimes) ?? 0,
    nextAt: beijingToIsoOrNever(str(raw.secondaryCallTime)),
  };
}

export function normalizeDoneCall(raw: Raw): DoneCall {
  const results = nameValues(raw.resultList);
  return {
    callInstanceId: toInt(raw.callInstanceId) ?? -1,
    taskId: toInt(raw.callJobId),
    taskName: str(raw.jobName),
    sceneDefId: toInt(raw.sceneDefId),
    customer: { name: str(raw.customerName), phone: str(raw.customerTelephone) },
    ...callProgress(raw),
    recordingUrl: str(raw.luyinOssUrl),
    redial: redialOf(raw),
    createdAt: beijingToIso(str(raw.gmtCreate)),
    modifiedAt: beijingToIso(str(raw.gmtModified)),
    results,
    intentLevel: intentFrom(results),
    raw,
  };
}

export function normalizeCallDetail(data: v.InferOutput<typeof CallDetailSchema>): CallDetail {
  const si = data.sceneInstance as Raw;
  const phoneLog = (data.phoneLog ?? {}) as Raw;
  const transcript: TranscriptTurn[] = list(phoneLog.phoneLogs).map((t) => {
    const speaker = str(t.speaker) ?? '';
    return {
      speaker,
      role: speaker === 'AI' ? 'ai' : speaker === 'ME' ? 'customer' : 'unknown',
      content: str(t.content) ?? '',
      startMs: toInt(t.startTime),
      endMs: toInt(t.endTime),
      at: beijingToIso(str(t.gmtCreate)),
      aiUnknown: bool(t.aiUnknown) ?? false,
      userMean: str(t.userMean),
    };
  });
  const analysis: AnalysisResult[] = list(data.taskResult).map((r) => ({
    name: str(r.resultName) ?? '',
    value: str(r.resultValue),
    description: str(r.resultDesc),
    analyzeType: str(r.analyzeType),
    at: beijingToIso(str(r.gmtModified) ?? str(r.gmtCreate)),
  }));
  return {
    callInstanceId: toInt(si.callInstanceId) ?? -1,
    companyId: toInt(si.companyId),
    taskId: toInt(si.callJobId),
    taskName: str(si.jobName),
    customer: { id: toInt(si.customerId), name: str(si.customerName), phone: str(si.customerTelephone) },
    ...callProgress(si),
    hangUp: codedOrNull(HANG_UP, si.hangUp),
    recording: {
      url: str(si.luyinOssUrl) ?? str(phoneLog.luyinOssUrl),
      customerUrl: str(si.userLuyinOssUrl),
    },
    properties: parseProperties(si.properties),
    robotDefId: toInt(si.robotDefId),
    sceneDefId: toInt(si.sceneDefId),
    sceneRecordId: toInt(si.sceneRecordId),
    callType: codedOrNull(CALL_TYPE, si.callType),
    redial: redialOf(si),
    transcript,
    analysis,
    intentLevel: intentFrom(analysis),
    createdAt: beijingToIso(str(si.gmtCreate)),
    modifiedAt: beijingToIso(str(si.gmtModified)),
    raw: data as Raw,
  };
}

export function normalizeNotDialed(raw: Raw): NotDialedCustomer {
  return {
    callInstanceId: toInt(raw.callInstanceId),
    customer: { name: str(raw.customerName), phone: str(raw.customerTelephone) },
    status: codedOrNull(CALL_STATUS, raw.status),
    startTime: beijingToIso(str(raw.startTime)),
    callerPhone: str(raw.callerPhone),
    corpName: str(raw.corpName),
    calledTimes: toInt(raw.calledTimes),
    raw,
  };
}

export function normalizeCompany(raw: Raw): Company {
  return { companyId: toInt(raw.companyId) ?? -1, companyName: str(raw.companyName), raw };
}

/** getPhones `phoneType` is the caller-line type table (0 mobile, 1 landline, 2 none). */
const LINE_TYPE: Readonly<Record<number, string>> = { 0: 'mobile', 1: 'landline', 2: 'no caller line' };

export function normalizeCallerLine(raw: Raw): CallerLine {
  return {
    userPhoneId: toInt(raw.userPhoneId) ?? -1,
    phone: str(raw.phone),
    phoneName: str(raw.phoneName),
    phoneType: codedOrNull(LINE_TYPE, raw.phoneType),
    available: bool(raw.available),
    raw,
  };
}

export function normalizeRobot(raw: Raw): Robot {
  return {
    robotDefId: toInt(raw.robotDefId) ?? -1,
    robotName: str(raw.robotName),
    sceneDefId: toInt(raw.sceneDefId),
    sceneRecords: list(raw.sceneRecords).map((r) => ({
      sceneRecordId: toInt(r.sceneRecordId),
      sceneRecordName: str(r.sceneRecordName),
    })),
    raw,
  };
}

export function normalizeUndeliveredCallback(
  raw: Raw,
  direction: UndeliveredCallback['direction'],
): UndeliveredCallback {
  return {
    callInstanceId: toInt(raw.callInstanceId) ?? -1,
    direction,
    taskId: toInt(raw.callJobId),
    customerPhone: str(raw.customerTelephone),
    callerTime: beijingToIso(str(raw.callerTime)),
    raw,
  };
}

export function normalizeImportResult(data: unknown): ImportBatchResult {
  const d = (data && typeof data === 'object' ? data : {}) as Raw;
  return {
    message: str(d.msg),
    successNum: toInt(d.successNum),
    repeatNum: toInt(d.repeatNum),
    placeFailNum: toInt(d.placeFailNum),
  };
}

export function normalizePage<T>(
  data: v.InferOutput<ReturnType<typeof PageSchema>>,
  normalize: (raw: Raw) => T,
  requested: { pageNum: number; pageSize: number },
): Page<T> {
  const items = (data.list ?? []).map((x) => normalize(x as Raw));
  const pageSize = toInt(data.pageSize) ?? requested.pageSize;
  const pageNum = toInt(data.pageNum) ?? requested.pageNum;
  const total = toInt(data.total);
  const pages = toInt(data.pages);
  if (total === null && pages === null) {
    // The fuller docs' pages carry neither (obtain-task.md, notDialedCustomerList): a full page
    // means there may be another, as with a bare list.
    return { pageNum, pageSize, total: -1, pages: items.length < pageSize ? pageNum : pageNum + 1, items };
  }
  return {
    pageNum,
    pageSize,
    total: total ?? items.length,
    pages: pages ?? (pageSize > 0 ? Math.ceil((total ?? items.length) / pageSize) : 0),
    items,
  };
}
