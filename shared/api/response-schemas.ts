import * as v from 'valibot';
import { ImportCountsSchema } from '../events/schemas.ts';

/*
 * Response schemas of the HTTP API, for the OpenAPI document only (shared/api/openapi.ts): apart
 * from the request schemas, so a route's bundle does not carry them. esbuild keeps every top-level
 * valibot schema of a module it includes (valibot's side-effect-free marks do not cross modules).
 */

/** The row shape (documentation: rows are validated one by one by the import preparation). */
export const CustomerRowSchema = v.object({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  phone: v.pipe(
    v.string(),
    v.description('a Chinese mobile or landline number; +86, spaces and dashes are fine'),
  ),
  properties: v.optional(v.record(v.string(), v.union([v.string(), v.number(), v.boolean()]))),
});

const problemRow = v.object({ index: v.number(), field: v.string(), rule: v.string(), message: v.string() });
export const ImportResultSchema = v.object({
  importId: v.nullable(v.string()),
  status: v.picklist(['completed', 'accepted', 'completed_with_errors', 'failed']),
  taskId: v.number(),
  companyId: v.number(),
  counts: ImportCountsSchema,
  invalid: v.array(problemRow),
  duplicates: v.array(v.object({ index: v.number(), phone: v.string(), duplicateOf: v.number() })),
  warnings: v.array(problemRow),
  /** Some per-row problems are counted in `counts` but not listed (the lists fit 150 KB together). */
  problemsTruncated: v.boolean(),
});

export const TaskActionResultSchema = v.object({
  taskId: v.number(),
  companyId: v.number(),
  action: v.picklist(['start', 'pause', 'stop']),
  message: v.string(),
  task: v.object({ name: v.string(), status: v.object({ code: v.number(), label: v.string() }) }),
});

export const CreateTaskResultSchema = v.object({
  taskId: v.number(),
  companyId: v.number(),
  /** e.g. working hours outside byrobot's documented calling window 09:00–20:00: created anyway. */
  warnings: v.array(v.string()),
});

export const ProblemSchema = v.object({
  type: v.string(),
  title: v.string(),
  status: v.number(),
  detail: v.string(),
  instance: v.optional(v.string()),
  errors: v.optional(v.array(v.object({ field: v.string(), rule: v.string(), message: v.string() }))),
});
