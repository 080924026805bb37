import * as v from 'valibot';
import { clockMinutes } from '../time.ts';

/*
 * Request schemas of the HTTP API: handlers validate with them, and the OpenAPI document
 * (GET /openapi.json, docs/openapi.json) is generated from them and from response-schemas.ts.
 */

// JSON.parse rounds an id past 2^53 − 1 to another id; such ids are refused (shared/http/validate.ts).
const id = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
const clock = v.pipe(
  v.string(),
  v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:mm'),
  v.check((t) => {
    const m = clockMinutes(t);
    return m !== null && m >= 9 * 60 && m <= 20 * 60;
  }, "inside byrobot's calling window 09:00–20:00"),
);
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
    /** Caller line type: 0 mobile, 1 landline, 2 no caller id, 6 SIP. */
    callType: v.optional(v.picklist([0, 1, 2, 6])),
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
