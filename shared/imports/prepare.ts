import { maskPhone } from './mask.ts';
import { normalizePhone } from './phone.ts';

export interface PreparedRow {
  /** The row's position in the request, for per-row outcomes. */
  index: number;
  name: string;
  phone: string;
  properties?: Record<string, string>;
}

export interface RowProblem {
  index: number;
  /** `phone`, `name`, `properties.<key>`, or `row` */
  field: string;
  /** A short rule id: `required`, `type`, `max-length`, `phone-format`, `required-variable`, … */
  rule: string;
  message: string;
}

export interface PreparedImport {
  valid: PreparedRow[];
  duplicates: Array<{ index: number; phone: string; duplicateOf: number }>;
  invalid: RowProblem[];
  /** Valid rows byrobot will likely count as variable failures (`onMissingVariables: 'pass'`). */
  warnings: RowProblem[];
  counts: { received: number; valid: number; duplicates: number; invalid: number };
}

export interface PrepareOptions {
  /** Variables the task's robot script reads from `properties` (getSceneVariables). */
  requiredVariables?: readonly string[];
  /** A row missing one: refuse it here, or let byrobot count it. @default 'pass' */
  onMissingVariables?: 'reject' | 'pass';
  /** Rows past this are refused. @default Infinity */
  maxRows?: number;
}

export const LIMITS = {
  nameLength: 64,
  propertyKeyLength: 64,
  propertyValueLength: 1000,
  /** byrobot stores properties with each call; keep each row's small. */
  propertiesBytes: 4096,
} as const;

/** Variables byrobot fills from the customer's own name and phone. */
const BUILT_IN_VARIABLES = new Set(['客户名称', '联系方式']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);
/** Control characters (C0, DEL, C1): a NUL or an escape has no place in a name read to a customer. */
const CONTROL = /\p{Cc}/u;
/**
 * What shows nothing: whitespace, zero-width and joiner characters, bidi controls, the BOM, soft
 * hyphen, variation selectors and the other format characters (Unicode category Cf).
 */
const INVISIBLE = /[\p{White_Space}\p{Cf}\u115f\u1160\u3164\uffa0]|\u034f|\p{Variation_Selector}/gu;

/**
 * Validates and normalises import rows. Every input row ends in exactly one of valid, duplicates
 * (same normalised phone as an earlier valid row) or invalid; valid rows keep their order. Never
 * throws, whatever the rows are.
 */
export function prepareImport(rows: readonly unknown[], options: PrepareOptions = {}): PreparedImport {
  const required = (options.requiredVariables ?? []).filter((v) => !BUILT_IN_VARIABLES.has(v));
  const reject = options.onMissingVariables === 'reject';
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  const out: PreparedImport = {
    valid: [],
    duplicates: [],
    invalid: [],
    warnings: [],
    counts: { received: rows.length, valid: 0, duplicates: 0, invalid: 0 },
  };
  const firstByPhone = new Map<string, number>();

  // Each row ends in exactly one of valid, duplicates or invalid; `problem` records an invalid one.
  /** Places one row; false when it is invalid. */
  const checkRow = (row: unknown, index: number): boolean => {
    const problem = (field: string, rule: string, message: string): false => {
      out.invalid.push({ index, field, rule, message });
      return false;
    };
    if (index >= maxRows) return problem('row', 'max-rows', `more than ${maxRows} rows in one request`);
    if (row === null || typeof row !== 'object' || Array.isArray(row))
      return problem('row', 'type', 'each row must be an object');
    const r = row as Record<string, unknown>;

    const phone = normalizePhone(r.phone);
    if (r.phone === undefined || r.phone === null || r.phone === '')
      return problem('phone', 'required', 'phone is required');
    if (!phone.ok) return problem('phone', 'phone-format', phone.reason);

    const name = typeof r.name === 'number' ? String(r.name) : r.name;
    if (typeof name !== 'string' || name.trim() === '')
      return problem('name', 'required', 'name is required (byrobot reads it to the customer)');
    if (CONTROL.test(name)) return problem('name', 'control-character', 'name contains a control character');
    if (name.replace(INVISIBLE, '') === '') {
      return problem(
        'name',
        'invisible',
        'name has no visible character (only zero-width, bidi-control or other invisible ones)',
      );
    }
    if ([...name.trim()].length > LIMITS.nameLength)
      return problem('name', 'max-length', `name is longer than ${LIMITS.nameLength} characters`);

    let properties: Record<string, string> | undefined;
    if (r.properties !== undefined && r.properties !== null) {
      if (typeof r.properties !== 'object' || Array.isArray(r.properties)) {
        return problem('properties', 'type', 'properties must be an object of strings, numbers or booleans');
      }
      properties = {};
      for (const [key, value] of Object.entries(r.properties)) {
        if (FORBIDDEN_KEYS.has(key))
          return problem(`properties.${key}`, 'forbidden-key', `"${key}" cannot be a property name`);
        if (key.length === 0 || key.length > LIMITS.propertyKeyLength) {
          return problem(
            `properties.${key}`,
            'max-length',
            `property names are 1–${LIMITS.propertyKeyLength} characters`,
          );
        }
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          if (value === null || value === undefined) continue;
          return problem(
            `properties.${key}`,
            'type',
            'property values must be strings, numbers or booleans (not nested)',
          );
        }
        const text = String(value);
        if (text.length > LIMITS.propertyValueLength) {
          return problem(
            `properties.${key}`,
            'max-length',
            `property values are at most ${LIMITS.propertyValueLength} characters`,
          );
        }
        properties[key] = text;
      }
      if (Buffer.byteLength(JSON.stringify(properties), 'utf8') > LIMITS.propertiesBytes) {
        return problem(
          'properties',
          'max-size',
          `properties are larger than ${LIMITS.propertiesBytes} bytes`,
        );
      }
      if (Object.keys(properties).length === 0) properties = undefined;
    }

    const missing = required.filter((variable) => !properties?.[variable]);
    if (missing.length > 0) {
      const field = `properties.${missing[0]}`;
      const message = `the task's robot script needs ${missing.map((m) => `"${m}"`).join(', ')}`;
      if (reject) return problem(field, 'required-variable', message);
      out.warnings.push({ index, field, rule: 'required-variable', message });
    }

    const earlier = firstByPhone.get(phone.phone);
    if (earlier !== undefined) {
      out.duplicates.push({ index, phone: maskPhone(phone.phone), duplicateOf: earlier });
      return true;
    }
    firstByPhone.set(phone.phone, index);
    out.valid.push(
      properties
        ? { index, name: name.trim(), phone: phone.phone, properties }
        : { index, name: name.trim(), phone: phone.phone },
    );
    return true;
  };
  for (let index = 0; index < rows.length; index++) checkRow(rows[index], index);
  out.counts.valid = out.valid.length;
  out.counts.duplicates = out.duplicates.length;
  out.counts.invalid = out.invalid.length;
  return out;
}
