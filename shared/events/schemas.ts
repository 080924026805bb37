import * as v from 'valibot';
import { SCHEMA_VERSION } from './version.ts';

/*
 * The event catalogue's schemas: each detail type defined once. docs/events/*.json and docs/events.md
 * are generated from these (npm run docs), and every event the bridge publishes is built to them.
 * Fields that rules filter on (`status.code`, `finishStatus.code`, `intentLevel`) sit at the top.
 */

export { SCHEMA_VERSION };

const isoTime = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
  v.description('ISO 8601 in Beijing time, e.g. 2026-11-23T10:15:00+08:00'),
);
const nullableIso = v.nullable(isoTime);
const coded = v.pipe(
  v.object({
    code: v.pipe(v.number(), v.integer()),
    label: v.string(),
  }),
  v.description("byrobot's numeric code and an English label; unknown codes keep their number"),
);
const count = v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0)));
const intentLevel = v.nullable(v.picklist(['A', 'B', 'C', 'D', 'E', 'F']));
const nameValue = v.object({ name: v.string(), value: v.nullable(v.union([v.string(), v.number()])) });

export const TaskCountsSchema = v.object({
  total: count,
  done: count,
  called: count,
  rejected: count,
  unavailable: count,
  fromUnavailable: count,
});

const common = {
  eventId: v.pipe(
    v.string(),
    v.uuid(),
    v.description('Deterministic: a republished event keeps its id, so consumers dedupe on it'),
  ),
  schemaVersion: v.literal(SCHEMA_VERSION),
  companyId: v.pipe(v.number(), v.integer()),
  taskId: v.pipe(v.number(), v.integer()),
  taskName: v.string(),
  detectedAt: v.pipe(isoTime, v.description('When the bridge saw the change')),
};

export const TaskStatusChangedSchema = v.object({
  ...common,
  status: coded,
  previousStatus: v.nullable(coded),
  counts: TaskCountsSchema,
});

export const TranscriptTurnSchema = v.object({
  speaker: v.pipe(v.string(), v.description('byrobot speaker: AI or ME (the customer)')),
  role: v.picklist(['ai', 'customer', 'unknown']),
  content: v.string(),
  startMs: v.nullable(v.number()),
  endMs: v.nullable(v.number()),
  aiUnknown: v.boolean(),
});

/** What a finished call carries, outbound (Call Completed) or inbound (Inbound Call Completed). */
const callBody = {
  intentLevel,
  finishStatus: v.nullable(coded),
  status: v.nullable(coded),
  customer: v.object({
    id: v.nullable(v.number()),
    name: v.nullable(v.string()),
    phone: v.nullable(v.string()),
  }),
  properties: v.pipe(
    v.record(v.string(), v.unknown()),
    v.description("The call's import properties, parsed back: the CRM's record id travels here"),
  ),
  durationSeconds: v.nullable(v.number()),
  chatRounds: v.nullable(v.number()),
  hangUp: v.nullable(coded),
  startTime: nullableIso,
  endTime: nullableIso,
  recording: v.object({ url: v.nullable(v.string()), customerUrl: v.nullable(v.string()) }),
  analysis: v.array(
    v.object({
      name: v.string(),
      value: v.nullable(v.string()),
      description: v.nullable(v.string()),
      analyzeType: v.nullable(v.string()),
    }),
  ),
  transcript: v.array(TranscriptTurnSchema),
  transcriptTrimmed: v.pipe(
    v.boolean(),
    v.description('True when turns were left out of the middle to fit the 256 KB entry limit'),
  ),
  transcriptTurns: v.pipe(v.number(), v.integer(), v.description('Turns in the whole call, trimmed or not')),
};

export const CallCompletedSchema = v.object({
  ...common,
  callInstanceId: v.pipe(v.number(), v.integer()),
  attempt: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(0),
    v.description('Redials before this final attempt (byrobot secondaryCallTimes)'),
  ),
  callerPhone: v.nullable(v.string()),
  ...callBody,
});

export const TaskCompletedSchema = v.object({
  ...common,
  status: coded,
  counts: TaskCountsSchema,
  robotName: v.nullable(v.string()),
  sceneName: v.nullable(v.string()),
  durationStat: v.array(nameValue),
  chatRoundStat: v.array(nameValue),
  resultStats: v.pipe(
    v.record(v.string(), v.array(nameValue)),
    v.description("byrobot extraStat: each analysis result's distribution, e.g. 客户意向等级"),
  ),
});

/** An import's row counts, as the import routes answer them and Import Completed carries them. */
export const ImportCountsSchema = v.object({
  received: v.number(),
  /** Rows that passed validation. */
  valid: v.number(),
  duplicates: v.number(),
  invalid: v.number(),
  imported: v.nullable(v.number()),
  repeats: v.nullable(v.number()),
  variableFailures: v.nullable(v.number()),
});

export const ImportCompletedSchema = v.object({
  ...common,
  importId: v.string(),
  outcome: v.picklist(['completed', 'completed_with_errors', 'failed']),
  counts: v.object({ ...ImportCountsSchema.entries, failedRows: v.number() }),
  chunks: v.object({ total: v.number(), succeeded: v.number(), failed: v.number() }),
});

export const CallIntentChangedSchema = v.object({
  eventId: v.pipe(
    common.eventId,
    v.description('Deterministic per change: the call and the sequence number of its re-grades'),
  ),
  schemaVersion: common.schemaVersion,
  companyId: common.companyId,
  taskId: v.pipe(
    v.nullable(v.pipe(v.number(), v.integer())),
    v.description("The call's task, when the bridge announced the call or could read it"),
  ),
  callInstanceId: v.pipe(v.number(), v.integer()),
  previousLevel: v.pipe(
    intentLevel,
    v.description("The level before this change: the last re-grade's, else the announced call's, else null"),
  ),
  level: v.picklist(['A', 'B', 'C', 'D', 'E', 'F']),
  changedAt: v.pipe(
    nullableIso,
    v.description(
      "When byrobot says the level changed (gmtModified), if it says; byrobot's minimal body does not",
    ),
  ),
  detectedAt: common.detectedAt,
  properties: v.pipe(
    v.record(v.string(), v.unknown()),
    v.description("The call's import properties, as Call Completed carries them (the CRM id)"),
  ),
  changedBy: v.pipe(
    v.nullable(v.string()),
    v.description('Who changed it, if byrobot says; its documented bodies do not'),
  ),
});

export const InboundCallCompletedSchema = v.object({
  eventId: v.pipe(common.eventId, v.description('Deterministic: the company and the inbound call')),
  schemaVersion: common.schemaVersion,
  companyId: common.companyId,
  taskId: v.pipe(
    v.nullable(v.pipe(v.number(), v.integer())),
    v.description('The inbound task (callJobId), when byrobot gives one'),
  ),
  detectedAt: common.detectedAt,
  inboundInstanceId: v.pipe(v.number(), v.integer(), v.description("byrobot's inbound call record id")),
  calleePhone: v.pipe(v.nullable(v.string()), v.description('The number the customer called')),
  transfer: v.object({ status: v.nullable(coded), info: v.nullable(v.string()) }),
  ...callBody,
});

export type CallIntentChangedDetail = v.InferOutput<typeof CallIntentChangedSchema>;
export type InboundCallCompletedDetail = v.InferOutput<typeof InboundCallCompletedSchema>;
export type TaskStatusChangedDetail = v.InferOutput<typeof TaskStatusChangedSchema>;
export type CallCompletedDetail = v.InferOutput<typeof CallCompletedSchema>;
export type TaskCompletedDetail = v.InferOutput<typeof TaskCompletedSchema>;
export type ImportCompletedDetail = v.InferOutput<typeof ImportCompletedSchema>;
export type TranscriptTurnDetail = v.InferOutput<typeof TranscriptTurnSchema>;
