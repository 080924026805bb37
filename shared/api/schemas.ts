import * as v from 'valibot';
import { clockMinutes } from '../time.ts';

/*
 * Request schemas of the HTTP API: handlers validate with them, and the OpenAPI document
 * (GET /openapi.json, docs/openapi.json) is generated from them and from response-schemas.ts.
 */

// JSON.parse rounds an id past 2^53 − 1 to another id; such ids are refused (shared/http/validate.ts).
const id = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
// Any clock time: byrobot's own examples use 08:00–22:00 and 08:50–23:59. Hours outside its
// documented window are answered with a warning (shared/byrobot/create-task.ts), not refused.
const clock = v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:mm'));
const date = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as yyyy-MM-dd'),
  v.check(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00+08:00`)) &&
      new Date(`${d}T00:00:00+08:00`).toISOString().length > 0,
    'a real calendar date',
  ),
);

export const CreateTaskSchema = v.pipe(
  v.strictObject({
    companyId: id,
    taskName: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(50)),
    /** 1 scheduled (starts on startDate), 2 manual (started through the API). */
    taskType: v.optional(v.picklist([1, 2]), 2),
    startDate: v.optional(date),
    workingStartTime: v.optional(clock, '09:00'),
    workingEndTime: v.optional(clock, '20:00'),
    breakStartTime: v.optional(clock),
    breakEndTime: v.optional(clock),
    userPhoneIds: v.pipe(v.array(id), v.minLength(1), v.maxLength(50)),
    robotDefId: id,
    sceneDefId: v.optional(id),
    sceneRecordId: v.optional(id),
    /**
     * Caller line type: 0 mobile, 1 landline, 2 no caller id, 6 SIP. byrobot requires it; when left
     * out it is derived from the caller lines' type (shared/byrobot/create-task.ts).
     */
    callType: v.optional(v.picklist([0, 1, 2, 6])),
    /** Send an SMS after the call: 0 no, 1 yes. */
    smsType: v.optional(v.picklist([0, 1])),
    /** Intent levels that get the SMS, byrobot's fixed labels. */
    smsSendLevel: v.optional(
      v.pipe(
        v.array(
          v.picklist([
            'A级(有明确意向)',
            'B级(可能有意向)',
            'C级(明确拒绝)',
            'D级(用户忙)',
            'E级(拨打失败)',
            'F级(无效客户)',
          ]),
        ),
        v.maxLength(6),
      ),
    ),
    /** An SMS template without variables. */
    smsTemplateId: v.optional(id),
    /** Concurrent calls per line (byrobot's `phoneNum`). */
    phoneNum: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(500))),
    /** Use byrobot's default customer assignment rule. */
    defaultIntentionRule: v.optional(v.boolean()),
    /** byrobot's elastic concurrency. */
    openElasticity: v.optional(v.boolean()),
    concurrencyQuota: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(500))),
    remark: v.optional(v.pipe(v.string(), v.maxLength(200))),
    repeatCall: v.optional(v.boolean()),
    repeatCallRule: v.optional(
      v.pipe(
        v.array(
          v.strictObject({
            /** Finish statuses byrobot redials: 2, 3, 5, 6, 7, 9, 10. */
            phoneStatus: v.picklist([2, 3, 5, 6, 7, 9, 10]),
            times: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(5)),
            interval: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(120)),
          }),
        ),
        v.maxLength(7),
      ),
    ),
  }),
  v.forward(
    v.check(
      (t) => t.taskType !== 1 || t.startDate !== undefined,
      'required for a scheduled task (taskType 1)',
    ),
    ['startDate'],
  ),
  v.forward(
    v.check(
      (t) => (clockMinutes(t.workingStartTime) ?? 0) < (clockMinutes(t.workingEndTime) ?? 0),
      'must be after workingStartTime',
    ),
    ['workingEndTime'],
  ),
  v.forward(
    v.check(
      (t) =>
        t.breakStartTime === undefined ||
        t.breakEndTime === undefined ||
        (clockMinutes(t.breakStartTime) ?? 0) < (clockMinutes(t.breakEndTime) ?? 0),
      'must be after breakStartTime',
    ),
    ['breakEndTime'],
  ),
  v.forward(
    v.check(
      (t) => (t.breakStartTime === undefined) === (t.breakEndTime === undefined),
      'breakStartTime and breakEndTime go together',
    ),
    ['breakEndTime'],
  ),
);

export const MAX_IMPORT_ROWS = 100_000;

export const ImportRequestSchema = v.strictObject({
  /** Optional: the task's company is looked up; if given it must match. */
  companyId: v.optional(id),
  /** Rows are checked one by one: an invalid row is reported, the valid ones go ahead. */
  customers: v.pipe(v.array(v.unknown()), v.minLength(1), v.maxLength(MAX_IMPORT_ROWS)),
  /** Rows missing a variable the task's robot script needs: refuse them here, or let byrobot count them. */
  onMissingVariables: v.optional(v.picklist(['reject', 'pass'])),
});

/** `imp_` + a time-sortable part + 20 hex digits (shared/api/imports.ts makes them). */
export const ImportIdSchema = v.pipe(v.string(), v.regex(/^imp_[0-9a-z]{6,12}[0-9a-f]{20}$/));
