/**
 * byrobot's enumerations, from its newest official overview (reference/byrobot-docs/overview.md)
 * and the shared API notes. Every coded value travels as `{ code, label }`; a code the table does not
 * know is kept with a generic label, never rejected: byrobot adds codes over time (22 appeared in
 * the wild without being documented).
 */
export interface Coded {
  code: number;
  label: string;
}

export const TASK_STATUS: Readonly<Record<number, string>> = {
  0: 'not started',
  1: 'running',
  2: 'completed',
  3: 'runnable',
  4: 'paused by user',
  5: 'paused by system',
  6: 'terminated',
  7: 'queued',
  8: 'AI subscription expired',
  9: 'line in arrears',
  10: 'SMS in arrears',
};

/**
 * Not byrobot's: the bridge's status for a task byrobot no longer lists (task/delete). The poller
 * announces it once as a Task Status Changed and retires the task's snapshot.
 */
export const DELETED_TASK_STATUS: Coded = { code: -1, label: 'deleted' };

/** Task statuses after which nothing changes any more. */
export const TERMINAL_TASK_STATUSES: ReadonlySet<number> = new Set([2, 6]);

export const TASK_TYPE: Readonly<Record<number, string>> = { 1: 'scheduled', 2: 'manual' };

export const CALL_STATUS: Readonly<Record<number, string>> = {
  0: 'not started',
  1: 'in progress',
  2: 'completed',
  3: 'waiting for redial',
};

/**
 * The official table (reference/byrobot-docs/overview.md). The seed's inline comment on
 * queryDoneTaskPhones maps 3 占线, 4 停机, 5 空号; the official table and the seed's own field table
 * disagree with it, so the official one is kept (docs/byrobot-client.md).
 */
export const FINISH_STATUS_SOURCE = 'byrobot overview.md (official table)';
export const FINISH_STATUS: Readonly<Record<number, string>> = {
  0: 'answered',
  1: 'rejected',
  2: 'unreachable',
  3: 'caller line unavailable',
  4: 'vacant number',
  5: 'powered off',
  6: 'busy',
  7: 'suspended',
  8: 'not answered',
  9: 'caller in arrears',
  10: 'call lost',
  11: 'blacklisted',
  22: 'dead zone',
};

export const HANG_UP: Readonly<Record<number, string>> = { 0: 'AI', 1: 'customer' };

/** createTask `callType` (the fuller docs): the kind of caller line. */
export const CALL_TYPE: Readonly<Record<number, string>> = {
  0: 'mobile',
  1: 'landline',
  2: 'no caller id',
  6: 'SIP',
};

export function coded(table: Readonly<Record<number, string>>, code: number): Coded {
  return { code, label: table[code] ?? `unknown (${code})` };
}

export function codedOrNull(table: Readonly<Record<number, string>>, code: unknown): Coded | null {
  const n = typeof code === 'string' && code.trim() !== '' ? Number(code) : code;
  return typeof n === 'number' && Number.isInteger(n) ? coded(table, n) : null;
}

/** Intent levels A–F. The letter is what rules filter on; the text varies by robot script. */
export type IntentLevel = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
export const INTENT_RESULT_NAME = '客户意向等级';

/** `A级(较强)` → `A`; null when the value does not start with a level letter. */
export function intentLetter(value: string | null | undefined): IntentLevel | null {
  const m = typeof value === 'string' ? /^\s*([A-F])(?:级|\b)/i.exec(value) : null;
  return m ? (m[1]!.toUpperCase() as IntentLevel) : null;
}
