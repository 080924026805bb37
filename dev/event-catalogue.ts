import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { DETAIL_TYPES, type DetailType } from '../shared/events/builders.ts';
import {
  CallCompletedSchema,
  CallIntentChangedSchema,
  ImportCompletedSchema,
  InboundCallCompletedSchema,
  SCHEMA_VERSION,
  TaskCompletedSchema,
  TaskStatusChangedSchema,
} from '../shared/events/schemas.ts';

export interface CatalogueEntry {
  detailType: DetailType;
  /** File name stem for docs/events/<slug>.json */
  slug: string;
  description: string;
  /** A rule pattern that a user is likely to want for this type. */
  examplePattern: Record<string, unknown>;
  schema: v.GenericSchema;
  example: Record<string, unknown>;
}

export const DEFAULT_SOURCE = 'byrobot.bridge';

const base = {
  schemaVersion: SCHEMA_VERSION,
  companyId: 1,
  taskId: 67,
  taskName: '11月回访-新客',
  detectedAt: '2026-11-23T10:15:02+08:00',
};
const counts = { total: 120, done: 48, called: 31, rejected: 4, unavailable: 11, fromUnavailable: 2 };

/** Every detail type the bridge publishes: defined once, documented and validated from here. */
export const EVENT_CATALOGUE: readonly CatalogueEntry[] = [
  {
    detailType: DETAIL_TYPES.taskStatusChanged,
    slug: 'task-status-changed',
    description:
      "A task's status changed (started, queued, paused by a user or by byrobot, completed, terminated…), seen between two polls or pushed by byrobot's task status callback, under the same id either way. Carries the previous and new status and the task's counts (a push carries the counts of the poller's last look).",
    examplePattern: { 'detail-type': ['Task Status Changed'], detail: { status: { code: [4, 5, 9] } } },
    schema: TaskStatusChangedSchema,
    example: {
      eventId: '5b0e0a52-6f0e-5c11-9a3b-0d6b8f1c2e44',
      ...base,
      status: { code: 4, label: 'paused by user' },
      previousStatus: { code: 1, label: 'running' },
      counts,
    },
  },
  {
    detailType: DETAIL_TYPES.callCompleted,
    slug: 'call-completed',
    description:
      'A call reached its final outcome (a redialled number: its final attempt). Everything a CRM or a sales channel needs without a second request: customer, the import properties parsed back (the CRM id), finish status, intent level, analysis, duration, rounds, who hung up, recordings and the transcript (trimmed in the middle to fit 256 KB, flagged when trimmed).',
    examplePattern: {
      'detail-type': ['Call Completed'],
      detail: { intentLevel: ['A', 'B'], finishStatus: { code: [0] } },
    },
    schema: CallCompletedSchema,
    example: {
      eventId: '0f4c7e2a-1b3d-5e6f-8a9b-0c1d2e3f4a5b',
      ...base,
      callInstanceId: 540,
      attempt: 0,
      intentLevel: 'A',
      finishStatus: { code: 0, label: 'answered' },
      status: { code: 2, label: 'completed' },
      customer: { id: 55, name: '张三', phone: '13800138000' },
      properties: { crmId: 'LEAD-1042', 还款金额: '888' },
      durationSeconds: 87,
      chatRounds: 6,
      hangUp: { code: 1, label: 'customer' },
      startTime: '2026-11-23T10:12:31+08:00',
      endTime: '2026-11-23T10:13:58+08:00',
      callerPhone: '02180001234',
      recording: {
        url: 'https://recordings.example.com/540.wav',
        customerUrl: 'https://recordings.example.com/540_user.wav',
      },
      analysis: [
        {
          name: '客户意向等级',
          value: 'A级(有明确意向)',
          description: '客户主动询问了产品细节',
          analyzeType: 'BY_ANALYZE_USER_LEVEL',
        },
      ],
      transcript: [
        {
          speaker: 'AI',
          role: 'ai',
          content: '您好，这里是百应科技，请问是张先生吗？',
          startMs: 0,
          endMs: 2600,
          aiUnknown: false,
        },
        {
          speaker: 'ME',
          role: 'customer',
          content: '是我，什么事？',
          startMs: 3100,
          endMs: 4200,
          aiUnknown: false,
        },
      ],
      transcriptTrimmed: false,
      transcriptTurns: 2,
    },
  },
  {
    detailType: DETAIL_TYPES.taskCompleted,
    slug: 'task-completed',
    description:
      "A task reached a terminal status (completed or terminated). Carries byrobot's final statistics: counts, duration and round histograms, and each analysis result's distribution.",
    examplePattern: { 'detail-type': ['Task Completed'] },
    schema: TaskCompletedSchema,
    example: {
      eventId: '7a9d3c1e-2f4b-5a6c-9d8e-1f2a3b4c5d6e',
      ...base,
      status: { code: 2, label: 'completed' },
      counts: { ...counts, done: 120 },
      robotName: '回访机器人',
      sceneName: '新客回访',
      durationStat: [
        { name: '<10s', value: 40 },
        { name: '10-60s', value: 55 },
      ],
      chatRoundStat: [{ name: '0-9次', value: 120 }],
      resultStats: {
        客户意向等级: [
          { name: 'A级(有明确意向)', value: 12 },
          { name: 'B级(可能有意向)', value: 20 },
        ],
      },
    },
  },
  {
    detailType: DETAIL_TYPES.importCompleted,
    slug: 'import-completed',
    description:
      "A large (asynchronous) customer import finished: every chunk was imported or ended in the dead-letter queue. Counts add up the request's own checks and byrobot's.",
    examplePattern: {
      'detail-type': ['Import Completed'],
      detail: { outcome: [{ 'anything-but': 'completed' }] },
    },
    schema: ImportCompletedSchema,
    example: {
      eventId: '2c4e6a8b-0d1f-5a3c-8e5f-7a9b1c3d5e7f',
      ...base,
      importId: 'imp_01JD0Q7W5N2T1K8M3R4S6V9XYZ',
      outcome: 'completed',
      counts: {
        received: 50_000,
        valid: 49_870,
        duplicates: 100,
        invalid: 30,
        imported: 49_870,
        repeats: 0,
        variableFailures: 0,
        failedRows: 0,
      },
      chunks: { total: 50, succeeded: 50, failed: 0 },
    },
  },
  {
    detailType: DETAIL_TYPES.callIntentChanged,
    slug: 'call-intent-changed',
    description:
      "Someone changed a call's intent level after the call, in byrobot's CRM (byrobot's manual intent-change callback): the previous and new level, the call's ids and the import properties (the CRM id). One event per change, its id from the call and the change's sequence number; a change to the level the call has already is not announced, nor one older than the last (byrobot's gmtModified, when it sends one). Published by push only: the poller never sees re-grades.",
    examplePattern: {
      'detail-type': ['Call Intent Changed'],
      detail: { level: ['A', 'B'], previousLevel: [{ 'anything-but': ['A', 'B'] }] },
    },
    schema: CallIntentChangedSchema,
    example: {
      eventId: '9e1d2c3b-4a5f-5e6d-8c7b-6a5f4e3d2c1b',
      schemaVersion: SCHEMA_VERSION,
      companyId: 1,
      taskId: 67,
      callInstanceId: 540,
      previousLevel: 'C',
      level: 'A',
      changedAt: '2026-11-23T11:02:40+08:00',
      detectedAt: '2026-11-23T11:02:41+08:00',
      properties: { crmId: 'LEAD-1042' },
      changedBy: null,
    },
  },
  {
    detailType: DETAIL_TYPES.inboundCallCompleted,
    slug: 'inbound-call-completed',
    description:
      "A customer called a robot (an inbound call) and the call ended: byrobot's inbound callback, announced once. A detail type of its own rather than a direction field on Call Completed, so rules on Call Completed keep matching outbound calls only. Carries what Call Completed does, with the number called (calleePhone) and any transfer to a person.",
    examplePattern: { 'detail-type': ['Inbound Call Completed'], detail: { intentLevel: ['A', 'B'] } },
    schema: InboundCallCompletedSchema,
    example: {
      eventId: '4d3c2b1a-0f9e-5d8c-9b7a-6f5e4d3c2b1a',
      schemaVersion: SCHEMA_VERSION,
      companyId: 1,
      taskId: 98,
      detectedAt: '2026-11-23T15:28:10+08:00',
      inboundInstanceId: 1091,
      calleePhone: '057126881788',
      transfer: { status: null, info: null },
      intentLevel: 'B',
      finishStatus: { code: 0, label: 'answered' },
      status: { code: 2, label: 'completed' },
      customer: { id: 22142595, name: '未知呼入客户', phone: '13800138000' },
      properties: {},
      durationSeconds: 27,
      chatRounds: 3,
      hangUp: { code: 1, label: 'customer' },
      startTime: '2026-11-23T15:27:39+08:00',
      endTime: '2026-11-23T15:28:09+08:00',
      recording: { url: 'https://recordings.example.com/in-1091.wav', customerUrl: null },
      analysis: [
        {
          name: '客户意向等级',
          value: 'B级(一般)',
          description: '拒绝次数 <= 1 次 并且 命中业务问题 >= 1',
          analyzeType: null,
        },
      ],
      transcript: [
        {
          speaker: 'AI',
          role: 'ai',
          content: '您好，请问有什么可以帮您？',
          startMs: 0,
          endMs: 2100,
          aiUnknown: false,
        },
      ],
      transcriptTrimmed: false,
      transcriptTurns: 1,
    },
  },
];

/** The JSON Schema (draft-07) of one detail type, with its title and an example. */
export function detailJsonSchema(entry: CatalogueEntry): Record<string, unknown> {
  const schema = toJsonSchema(entry.schema, { errorMode: 'ignore' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: `https://byrobot-bridge.dev/events/${entry.slug}.json`,
    title: entry.detailType,
    description: entry.description,
    ...schema,
    examples: [entry.example],
  };
}
