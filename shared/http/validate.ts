import * as v from 'valibot';
import { type FieldProblem, problems } from './problem.ts';

const RULES: Record<string, string> = {
  strict_object: 'type',
  object: 'type',
  string: 'type',
  number: 'type',
  boolean: 'type',
  array: 'type',
  integer: 'integer',
  picklist: 'enum',
  literal: 'enum',
  regex: 'format',
  min_length: 'min-length',
  max_length: 'max-length',
  min_value: 'minimum',
  max_value: 'maximum',
  check: 'rule',
};

/** valibot issues as field problems: the field's dot path, a rule id and a message. */
export function fieldProblems(issues: readonly v.BaseIssue<unknown>[], root: string): FieldProblem[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => String(p.key));
    const field = [root, ...path].join('.');
    // An object schema reports an unknown key as expecting `never`, and a missing one with no input.
    const unknownKey = issue.expected === 'never';
    const missing = !unknownKey && issue.input === undefined;
    const rule = unknownKey ? 'unknown-field' : missing ? 'required' : (RULES[issue.type] ?? issue.type);
    const message =
      rule === 'unknown-field' ? `unknown field "${path.at(-1)}"` : missing ? 'required' : issue.message;
    return { field, rule, message };
  });
}

/** Parses a value or throws 422 naming each field and the rule it broke. */
export function validate<T extends v.GenericSchema>(
  schema: T,
  value: unknown,
  root: string,
): v.InferOutput<T> {
  const result = v.safeParse(schema, value, { abortPipeEarly: true });
  if (result.success) return result.output;
  const errors = fieldProblems(result.issues, root);
  throw problems.unprocessable(
    `${errors.length} problem(s) in the request: ${errors[0]?.field} ${errors[0]?.message}`,
    errors,
  );
}

/**
 * A path parameter that must be a positive integer id; anything else is 400. byrobot's ids are Java
 * longs, but a JavaScript number holds integers exactly only up to 2^53 − 1: a larger id would be
 * rounded to a neighbour's (…993 acting on …992), so it is refused, not carried.
 */
export function pathId(value: string | undefined, name: string): number {
  if (!value || !/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw problems.badRequest(`path parameter ${name} must be a positive integer up to 2^53 − 1`, [
      {
        field: `path.${name}`,
        rule: 'format',
        message: `a positive integer up to ${Number.MAX_SAFE_INTEGER}`,
      },
    ]);
  }
  return Number(value);
}
