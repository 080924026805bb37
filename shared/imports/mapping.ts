import * as v from 'valibot';

const path = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

/**
 * A CRM source's field mapping, written in configuration rather than code. Example, for a
 * HubSpot-like webhook `{ "event": "lead.created", "data": { "leads": [ { "id": 42, "contact":
 * { "name": "张三", "mobile": "138…" }, "amount": 888 } ] } }`:
 *
 * ```json
 * {
 *   "list": "data.leads",
 *   "name": "contact.name",
 *   "phone": ["contact.mobile", "contact.phone"],
 *   "properties": { "crmId": "id", "还款金额": "amount" },
 *   "constants": { "source": "hubspot" }
 * }
 * ```
 * `list` is a dot path to the array of records, or `$` for the payload itself (an array, or one
 * record). Paths may index arrays (`contacts.0.mobile`). `phone` and `name` may list fallbacks, tried
 * in order. Properties are stringified (numbers, booleans); missing or null ones are left out.
 */
export const ImportMappingSchema = v.strictObject({
  list: v.optional(path, '$'),
  name: v.union([path, v.pipe(v.array(path), v.minLength(1))]),
  phone: v.union([path, v.pipe(v.array(path), v.minLength(1))]),
  properties: v.optional(v.record(v.pipe(v.string(), v.minLength(1), v.maxLength(64)), path), {}),
  constants: v.optional(v.record(v.pipe(v.string(), v.minLength(1), v.maxLength(64)), v.string()), {}),
  companyId: v.optional(path),
});
export type ImportMapping = v.InferOutput<typeof ImportMappingSchema>;

export interface MappedPayload {
  companyId?: unknown;
  customers: Array<{ name: unknown; phone: unknown; properties?: Record<string, string> }>;
}

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** Reads a dot path; own properties only, so `__proto__` and friends never resolve. */
export function readPath(value: unknown, dotted: string): unknown {
  if (dotted === '$') return value;
  let current: unknown = value;
  for (const key of dotted.split('.')) {
    if (FORBIDDEN.has(key) || current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const first = (record: unknown, paths: string | string[]) => {
  for (const p of Array.isArray(paths) ? paths : [paths]) {
    const found = readPath(record, p);
    if (found !== undefined && found !== null && found !== '') return found;
  }
  return undefined;
};

/**
 * Turns a CRM's payload into import rows. Never throws on a payload: a list that is not there is an
 * error result naming the path; records that lack fields are kept, for the import to report them.
 */
export function applyMapping(
  mapping: ImportMapping,
  payload: unknown,
): { ok: true; value: MappedPayload } | { ok: false; error: string } {
  const listValue = readPath(payload, mapping.list);
  const records = Array.isArray(listValue)
    ? listValue
    : listValue !== undefined && listValue !== null && typeof listValue === 'object'
      ? [listValue]
      : null;
  if (!records)
    return {
      ok: false,
      error: `the mapping's list path "${mapping.list}" does not lead to a record or a list of records`,
    };
  const customers = records.map((record) => {
    const properties: Record<string, string> = Object.create(null);
    for (const [name, p] of Object.entries(mapping.properties)) {
      if (FORBIDDEN.has(name)) continue;
      const value = readPath(record, p);
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        properties[name] = String(value);
    }
    for (const [name, value] of Object.entries(mapping.constants))
      if (!FORBIDDEN.has(name)) properties[name] = value;
    const row: MappedPayload['customers'][number] = {
      name: first(record, mapping.name),
      phone: first(record, mapping.phone),
    };
    if (Object.keys(properties).length > 0) row.properties = { ...properties };
    return row;
  });
  const value: MappedPayload = { customers };
  if (mapping.companyId) value.companyId = readPath(payload, mapping.companyId);
  return { ok: true, value };
}
