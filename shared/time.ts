/**
 * byrobot speaks Beijing time (UTC+08:00) without a zone: `2018-01-24 20:51:53`, dates `2017-10-19`,
 * clock times `08:00` on input and `08:00:00` on output. Everything this project emits is ISO 8601
 * with an explicit `+08:00` offset.
 */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$/;

/** `2018-01-24 20:51:53` → `2018-01-24T20:51:53+08:00`; null for empty or unparseable input. */
export function beijingToIso(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const m = DATETIME.exec(value.trim());
  if (!m) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}+08:00`;
}

/**
 * Like beijingToIso, but byrobot's `1970-01-01 …` placeholder (used by `secondaryCallTime`) means
 * "never" and becomes null.
 */
export function beijingToIsoOrNever(value: string | null | undefined): string | null {
  if (typeof value === 'string' && value.startsWith('1970-01-01')) return null;
  return beijingToIso(value);
}

/** A Date as ISO 8601 in Beijing time: `2026-11-23T19:38:46+08:00`. */
export function toBeijingIso(date: Date | number): string {
  const ms = typeof date === 'number' ? date : date.getTime();
  const shifted = new Date(ms + BEIJING_OFFSET_MS).toISOString();
  return `${shifted.slice(0, 19)}+08:00`;
}

/** A Date as byrobot's zone-less Beijing datetime: `2026-11-23 19:38:46`. */
export function toBeijingDateTime(date: Date | number): string {
  return toBeijingIso(date).slice(0, 19).replace('T', ' ');
}

/** A Date as byrobot's Beijing calendar date: `2026-11-23`. */
export function toBeijingDate(date: Date | number): string {
  return toBeijingIso(date).slice(0, 10);
}

/** Parses byrobot's zone-less Beijing datetime to epoch milliseconds; NaN if unparseable. */
export function beijingToEpochMs(value: string): number {
  const iso = beijingToIso(value);
  return iso ? Date.parse(iso) : Number.NaN;
}

/** `08:00` / `08:00:00` → minutes after midnight; null if not a valid clock time. */
export function clockMinutes(value: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(value);
  if (!m) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}
