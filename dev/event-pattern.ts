/**
 * EventBridge event patterns, evaluated the way EventBridge evaluates them, so the local stack routes
 * events to the same notification rules as AWS and `byrobot-bridge rules test` can say why an event
 * did not match. Pure: no I/O.
 *
 * Semantics, from AWS's pages (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html,
 * eb-create-pattern-operators.html, eb-event-patterns-content-based-filtering.html, eb-event-patterns-arrays.html)
 * and the matcher AWS publishes (https://github.com/aws/event-ruler):
 * - fields are AND, the values listed for one field are OR;
 * - an array in the event matches when any element matches (arrays of objects: any one element must
 *   match the whole nested pattern, so two fields never come from different elements);
 * - exact values are type-strict: `"5"` never equals `5`, `null` never equals `""`;
 * - only leaf values count: a field whose value is an object is absent for `exists` and every
 *   other operator (the documented `c-count: {c1: 100}` example matches `exists: false`);
 * - `anything-but`, like every operator but `exists: false`, needs the field to be present;
 * - `numeric` compares JSON numbers only;
 * - `$or` takes two or more nested patterns, evaluated against the same object.
 * One known divergence: EventBridge compares exact numbers by their JSON text (300, 300.0 and 3.0e2
 * are not equal, eb-event-patterns.html); after JSON.parse they are one number here.
 */

/** A pattern as JSON: field → array of matchers, nested object, or `$or`. */
export type EventPattern = { [field: string]: unknown };

export interface Mismatch {
  /** Dotted path of the field that failed, e.g. `detail.intentLevel`; `$or` for a failed alternative. */
  path: string;
  /** The pattern's rule for that field, as written. */
  expected: unknown;
  /** The event's value there; undefined when the field is absent. */
  actual: unknown;
  reason: string;
}

export interface MatchExplanation {
  matched: boolean;
  /** Every failing field (empty when matched), so near misses can be told apart from far ones. */
  mismatches: Mismatch[];
}

/** A pattern EventBridge would refuse (PutRule answers InvalidEventPatternException). */
export class EventPatternError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(path ? `event pattern: ${path}: ${message}` : `event pattern: ${message}`);
    this.name = 'EventPatternError';
    this.path = path;
  }
}

const OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'wildcard',
  'cidr',
] as const;
const NUMERIC_OPERATORS = ['=', '<', '<=', '>', '>='];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
const show = (v: unknown) => JSON.stringify(v);

/** Throws EventPatternError with the path and the reason when EventBridge would refuse the pattern. */
export function validatePattern(pattern: unknown): asserts pattern is EventPattern {
  if (!isObject(pattern)) throw new EventPatternError('', `must be a JSON object, got ${kind(pattern)}`);
  validateObject(pattern, '');
}

function validateObject(pattern: Record<string, unknown>, path: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const at = join(path, key);
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject))
        throw new EventPatternError(at, 'must be an array of two or more pattern objects');
      value.forEach((alt, i) => {
        validateObject(alt as Record<string, unknown>, `${at}[${i}]`);
      });
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new EventPatternError(at, 'an empty array matches nothing; list values');
      for (const matcher of value) validateMatcher(matcher, at);
    } else if (isObject(value)) {
      validateObject(value, at);
    } else {
      throw new EventPatternError(
        at,
        `must be an array of values (e.g. [${show(value)}]) or a nested object, got ${kind(value)}`,
      );
    }
  }
}

function validateMatcher(matcher: unknown, at: string): void {
  if (matcher === null || ['string', 'number', 'boolean'].includes(typeof matcher)) return;
  if (Array.isArray(matcher)) throw new EventPatternError(at, 'values must not be nested arrays');
  const ops = Object.keys(matcher as object);
  if (ops.length !== 1)
    throw new EventPatternError(at, `a matcher object takes exactly one operator, got ${show(matcher)}`);
  const op = ops[0]!;
  const arg = (matcher as Record<string, unknown>)[op];
  const fail = (why: string) => {
    throw new EventPatternError(at, `${op}: ${why}`);
  };
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg === 'string') return;
      if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string')
        return;
      fail('takes a string or {"equals-ignore-case": string}');
      return;
    case 'equals-ignore-case':
      if (typeof arg !== 'string') fail('takes a string');
      return;
    case 'wildcard':
      if (typeof arg !== 'string') fail('takes a string');
      checkWildcard(arg as string, fail);
      return;
    case 'cidr':
      if (typeof arg !== 'string' || parseCidr(arg) === null)
        fail(`takes an IPv4 or IPv6 CIDR block such as "10.0.0.0/24", got ${show(arg)}`);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') fail('takes true or false');
      return;
    case 'numeric':
      if (parseNumeric(arg) === null)
        fail(
          `takes ["=", n], [">", n], [">=", n, "<", m] and the like (a lower bound before an upper one), got ${show(arg)}`,
        );
      return;
    case 'anything-but':
      validateAnythingBut(arg, fail);
      return;
    default:
      throw new EventPatternError(
        at,
        `unknown operator "${op}"; EventBridge knows ${OPERATORS.map((o) => `"${o}"`).join(', ')}`,
      );
  }
}

function validateAnythingBut(arg: unknown, fail: (why: string) => never): void {
  if (typeof arg === 'string' || typeof arg === 'number') return;
  if (Array.isArray(arg)) {
    // "The list must contain either all strings, or all numbers" (content filtering page).
    if (
      arg.length > 0 &&
      (arg.every((v) => typeof v === 'string') || arg.every((v) => typeof v === 'number'))
    )
      return;
    fail('a list must be non-empty and all strings or all numbers');
  }
  if (isObject(arg) && Object.keys(arg).length === 1) {
    const [[op, value]] = Object.entries(arg) as [[string, unknown]];
    if ((op === 'prefix' || op === 'suffix') && typeof value === 'string') return;
    const strings =
      typeof value === 'string' ||
      (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'));
    if (op === 'equals-ignore-case' && strings) return;
    if (op === 'wildcard' && strings) {
      for (const w of [value].flat() as string[]) checkWildcard(w, fail);
      return;
    }
  }
  fail(
    'takes a string, a number, a list of either, or {"prefix"|"suffix": string} or {"equals-ignore-case"|"wildcard": string or list}',
  );
}

function checkWildcard(pattern: string, fail: (why: string) => never): void {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      // Only `\*` and `\\` are escapes (event-ruler's README, "Wildcard matching").
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') fail(`a backslash may only escape * or \\ in ${show(pattern)}`);
      i++;
    } else if (c === '*' && pattern[i + 1] === '*') {
      fail(`consecutive wildcard characters are not allowed in ${show(pattern)}`);
    }
  }
}

/** Whether the event matches the pattern. Throws EventPatternError for a malformed pattern. */
export function matchPattern(pattern: EventPattern, event: unknown): boolean {
  validatePattern(pattern);
  return evaluateObject(pattern, event, '', null);
}

/** Whether the event matches and, when not, every field that failed and why. */
export function explainMatch(pattern: EventPattern, event: unknown): MatchExplanation {
  validatePattern(pattern);
  const mismatches: Mismatch[] = [];
  const matched = evaluateObject(pattern, event, '', mismatches);
  return { matched, mismatches: matched ? [] : mismatches };
}

/**
 * Evaluates a (nested) pattern object against an event node. With `out` set it evaluates every field
 * and records failures; without, it stops at the first.
 */
function evaluateObject(
  pattern: Record<string, unknown>,
  node: unknown,
  path: string,
  out: Mismatch[] | null,
): boolean {
  // An array of objects: the nested pattern must match one element as a whole.
  if (Array.isArray(node)) {
    const elements = node.flat(Number.POSITIVE_INFINITY).filter(isObject);
    if (elements.length === 0) return evaluateObject(pattern, undefined, path, out);
    if (!out) return elements.some((e) => evaluateObject(pattern, e, path, null));
    let best: Mismatch[] | null = null;
    for (const element of elements) {
      const found: Mismatch[] = [];
      if (evaluateObject(pattern, element, path, found)) return true;
      if (!best || found.length < best.length) best = found;
    }
    out.push(...(best ?? []));
    return false;
  }
  const object = isObject(node) ? node : undefined;
  let ok = true;
  for (const [key, rule] of Object.entries(pattern)) {
    const at = join(path, key);
    let fieldOk: boolean;
    if (key === '$or') {
      fieldOk = evaluateOr(rule as Record<string, unknown>[], node, at, out);
    } else if (Array.isArray(rule)) {
      fieldOk = evaluateLeaf(rule, object?.[key], at, out);
    } else {
      fieldOk = evaluateObject(rule as Record<string, unknown>, object?.[key], at, out);
    }
    if (!fieldOk) {
      ok = false;
      if (!out) return false;
    }
  }
  return ok;
}

function evaluateOr(
  alternatives: Record<string, unknown>[],
  node: unknown,
  at: string,
  out: Mismatch[] | null,
): boolean {
  const failures: Mismatch[][] = [];
  for (const alternative of alternatives) {
    const found: Mismatch[] = [];
    if (evaluateObject(alternative, node, at.replace(/\.?\$or$/, ''), out ? found : null)) return true;
    failures.push(found);
  }
  out?.push({
    path: at,
    expected: alternatives,
    actual: undefined,
    reason: `none of the ${alternatives.length} alternatives matched: ${failures
      .map((f, i) => `(${i + 1}) ${f.map((m) => `${m.path} ${m.reason}`).join('; ')}`)
      .join(' ')}`,
  });
  return false;
}

/** The leaf values EventBridge sees at a field: scalars, array elements that are scalars; objects don't count. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flat(Number.POSITIVE_INFINITY).filter((v) => !isObject(v));
  return isObject(value) ? [] : [value];
}

function evaluateLeaf(matchers: unknown[], value: unknown, at: string, out: Mismatch[] | null): boolean {
  const values = leafValues(value);
  if (matchers.some((m) => matchOne(m, values))) return true;
  out?.push({ path: at, expected: matchers, actual: value, reason: explainLeaf(matchers, value, values) });
  return false;
}

function matchOne(matcher: unknown, values: unknown[]): boolean {
  if (!isObject(matcher)) return values.some((v) => v === matcher);
  const [[op, arg]] = Object.entries(matcher) as [[string, unknown]];
  if (op === 'exists') return arg === values.length > 0;
  return values.some((v) => matchValue(op, arg, v));
}

function matchValue(op: string, arg: unknown, v: unknown): boolean {
  switch (op) {
    case 'prefix':
      return typeof v === 'string' && affix(arg, v, 'start');
    case 'suffix':
      return typeof v === 'string' && affix(arg, v, 'end');
    case 'equals-ignore-case':
      return typeof v === 'string' && fold(v) === fold(arg as string);
    case 'wildcard':
      return typeof v === 'string' && wildcardRegExp(arg as string).test(v);
    case 'cidr':
      return typeof v === 'string' && inCidr(arg as string, v);
    case 'numeric':
      return typeof v === 'number' && inRange(parseNumeric(arg)!, v);
    case 'anything-but':
      return !excludedBy(arg, v);
    default:
      return false;
  }
}

function excludedBy(arg: unknown, v: unknown): boolean {
  if (Array.isArray(arg)) return arg.some((a) => a === v);
  if (!isObject(arg)) return arg === v;
  const [[op, value]] = Object.entries(arg) as [[string, unknown]];
  if (typeof v !== 'string') return false;
  const list = [value].flat() as string[];
  switch (op) {
    case 'prefix':
      return v.startsWith(value as string);
    case 'suffix':
      return v.endsWith(value as string);
    case 'equals-ignore-case':
      return list.some((s) => fold(s) === fold(v));
    case 'wildcard':
      return list.some((w) => wildcardRegExp(w).test(v));
    default:
      return false;
  }
}

const fold = (s: string) => s.toLowerCase();

function affix(arg: unknown, v: string, side: 'start' | 'end'): boolean {
  const ignoreCase = isObject(arg);
  const needle = ignoreCase ? fold(arg['equals-ignore-case'] as string) : (arg as string);
  const hay = ignoreCase ? fold(v) : v;
  return side === 'start' ? hay.startsWith(needle) : hay.endsWith(needle);
}

const wildcardCache = new Map<string, RegExp>();
function wildcardRegExp(pattern: string): RegExp {
  let re = wildcardCache.get(pattern);
  if (re) return re;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') source += escapeRegExp(pattern[++i] ?? '');
    else if (c === '*') source += '.*';
    else source += escapeRegExp(c);
  }
  re = new RegExp(`^${source}$`, 's');
  wildcardCache.set(pattern, re);
  return re;
}
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

interface Range {
  lower?: { value: number; inclusive: boolean };
  upper?: { value: number; inclusive: boolean };
  equals?: number;
}

function parseNumeric(arg: unknown): Range | null {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) return null;
  const range: Range = {};
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const value = arg[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPERATORS.includes(op)) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) return null;
    if (op === '=') {
      if (arg.length !== 2) return null;
      range.equals = value;
    } else if (op === '>' || op === '>=') {
      if (range.lower || range.upper) return null; // a lower bound comes first, once
      range.lower = { value, inclusive: op === '>=' };
    } else {
      if (range.upper) return null;
      range.upper = { value, inclusive: op === '<=' };
    }
  }
  if (range.lower && range.upper && range.lower.value > range.upper.value) return null;
  return range;
}

function inRange(range: Range, v: number): boolean {
  if (range.equals !== undefined) return v === range.equals;
  if (range.lower && !(range.lower.inclusive ? v >= range.lower.value : v > range.lower.value)) return false;
  if (range.upper && !(range.upper.inclusive ? v <= range.upper.value : v < range.upper.value)) return false;
  return true;
}

// --- IP addresses ---------------------------------------------------------------------------------

function parseIp(text: string): { bits: bigint; width: 32 | 128 } | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) return null;
    return { bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), width: 32 };
  }
  if (!text.includes(':')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return { bits: all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n), width: 128 };
}

function parseCidr(text: string): { bits: bigint; width: 32 | 128; prefix: number } | null {
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined || address === undefined) return null;
  const ip = parseIp(address);
  if (!ip) return null;
  const prefix = prefixText === undefined ? ip.width : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(ip.width)) || prefix > ip.width) return null;
  return { ...ip, prefix };
}

function inCidr(cidr: string, value: string): boolean {
  const block = parseCidr(cidr);
  const ip = parseIp(value);
  if (!block || !ip || ip.width !== block.width) return false;
  const shift = BigInt(block.width - block.prefix);
  return ip.bits >> shift === block.bits >> shift;
}

// --- explanations ---------------------------------------------------------------------------------

function kind(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${show(v)}`;
}

function describeMatcher(m: unknown): string {
  if (!isObject(m)) return show(m);
  const [[op, arg]] = Object.entries(m) as [[string, unknown]];
  const ic = (a: unknown) => (isObject(a) ? `${show(a['equals-ignore-case'])} (ignoring case)` : show(a));
  switch (op) {
    case 'prefix':
      return `a string starting with ${ic(arg)}`;
    case 'suffix':
      return `a string ending with ${ic(arg)}`;
    case 'equals-ignore-case':
      return `${show(arg)} ignoring case`;
    case 'wildcard':
      return `a string matching ${show(arg)}`;
    case 'cidr':
      return `an IP address in ${arg as string}`;
    case 'exists':
      return arg ? 'present' : 'absent';
    case 'numeric': {
      const r = parseNumeric(arg)!;
      if (r.equals !== undefined) return `a number = ${r.equals}`;
      const parts = [];
      if (r.lower) parts.push(`${r.lower.inclusive ? '>=' : '>'} ${r.lower.value}`);
      if (r.upper) parts.push(`${r.upper.inclusive ? '<=' : '<'} ${r.upper.value}`);
      return `a number ${parts.join(' and ')}`;
    }
    case 'anything-but': {
      if (Array.isArray(arg)) return `anything but ${arg.map(show).join(', ')}`;
      if (!isObject(arg)) return `anything but ${show(arg)}`;
      const [[sub, value]] = Object.entries(arg) as [[string, unknown]];
      const list = [value].flat().map(show).join(', ');
      if (sub === 'prefix') return `a value not starting with ${list}`;
      if (sub === 'suffix') return `a value not ending with ${list}`;
      if (sub === 'wildcard') return `a value not matching ${list}`;
      return `anything but ${list} (ignoring case)`;
    }
    default:
      return show(m);
  }
}

function explainLeaf(matchers: unknown[], value: unknown, values: unknown[]): string {
  const expected = `expected ${matchers.map(describeMatcher).join(' or ')}`;
  if (values.length === 0) {
    const why =
      value === undefined
        ? 'the field is absent'
        : isObject(value)
          ? 'the field is an object, not a value (patterns match leaf values only)'
          : 'the field is an empty array';
    return `${expected}; ${why}`;
  }
  const got = Array.isArray(value) ? `none of ${show(values)} matches` : `got ${show(value)}`;
  // The most common surprise: a number written as a string in the event, or the other way round.
  const numericOnStrings =
    matchers.some((m) => isObject(m) && 'numeric' in m) && values.some((v) => typeof v === 'string');
  const exactTypeMix = matchers.some(
    (m) =>
      !isObject(m) &&
      values.some((v) => v !== null && m !== null && typeof v !== typeof m && String(v) === String(m)),
  );
  const hint = numericOnStrings
    ? ' (numeric matching compares JSON numbers only, and this is a string)'
    : exactTypeMix
      ? ' (exact matching is type-strict: a string never equals a number)'
      : '';
  return `${expected}; ${got}${hint}`;
}
