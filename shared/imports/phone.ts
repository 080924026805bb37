import { CHINA_PLAN } from './phone-metadata.ts';

export type PhoneResult =
  | { ok: true; phone: string; kind: 'mobile' | 'landline'; e164: string }
  | { ok: false; reason: string };

const MOBILE = /^1[3-9]\d{9}$/;
/** Area code without its 0 (10, 2x, or three digits from 3–9) and a 7–8 digit number. */
const LANDLINE = /^(?:(?:10|2\d)\d{8}|[3-9]\d{2}\d{7,8})$/;
/** 400/800 service numbers: valid, but not a customer a robot should dial. */
const SERVICE = /^[48]00\d{7}$/;

const NOT_CHINESE = 'not a Chinese number (byrobot dials numbers in China)';
const INVALID = 'not a valid Chinese mobile or landline number';

/**
 * Reads a number written with digits and separators as a Chinese one: its national significant
 * number, and whether China's numbering plan holds it valid; undefined if it is no Chinese number.
 */
export type ChineseNumberParser = (text: string) => { national: string; valid: boolean } | undefined;

/**
 * Normalises a Chinese mobile or landline number to the form byrobot dials: 11 digits for a mobile
 * (`13800138000`), the area code with its 0 and the number for a landline (`01012345678`).
 * Tolerates +86 / 0086 / 86 prefixes, spaces, dashes, dots, brackets and full-width digits.
 * Numbers are parsed by `parseChinese` below, with China's numbering plan generated from
 * libphonenumber-js (shared/imports/phone-metadata.ts); that plan validates loosely, so the mobile and
 * landline shapes are checked on top; a number of another country is refused.
 */
export const normalizePhone = (input: unknown): PhoneResult => normalizePhoneWith(input, parseChinese);

/** normalizePhone with another parser: test/imports/phone-oracle.test.ts passes libphonenumber-js's. */
export function normalizePhoneWith(input: unknown, parse: ChineseNumberParser): PhoneResult {
  if (typeof input === 'number' && Number.isSafeInteger(input)) input = String(input);
  if (typeof input !== 'string') return { ok: false, reason: 'not a string' };
  const halfWidth = input
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/＋/g, '+');
  const trimmed = halfWidth.trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  if (trimmed.length > 32) return { ok: false, reason: 'too long' };
  if (/[^\d\s+\-().]/.test(trimmed))
    return { ok: false, reason: 'contains characters other than digits and separators' };
  const digits = trimmed.replace(/\D/g, '');
  // An 11-digit mobile written nationally is unambiguous. Parsing it would strip what CN's plan calls
  // a carrier-selection prefix (179xx): `17985009885` became `009885`, read as a number for Iran.
  if (!trimmed.startsWith('+') && !trimmed.startsWith('00') && MOBILE.test(digits))
    return { ok: true, phone: digits, kind: 'mobile', e164: `+86${digits}` };
  // "86…" without + or 00 is ambiguous only if what follows is itself a full Chinese number.
  const candidate =
    !trimmed.startsWith('+') && !trimmed.startsWith('00') && /^86(1[3-9]\d{9}|0\d{9,11})$/.test(digits)
      ? `+${digits}`
      : trimmed;
  // Another country's calling code: say so rather than "invalid".
  const international = candidate.replace(/^[\s(]+/, '');
  const callingDigits = international.startsWith('+')
    ? digits
    : international.startsWith('00')
      ? digits.slice(2)
      : null;
  if (callingDigits !== null && !callingDigits.startsWith('86')) return { ok: false, reason: NOT_CHINESE };
  const parsed = parse(candidate);
  if (parsed === undefined) return { ok: false, reason: INVALID };
  const { national, valid } = parsed;
  if (MOBILE.test(national)) return { ok: true, phone: national, kind: 'mobile', e164: `+86${national}` };
  if (SERVICE.test(national)) return { ok: false, reason: 'a 400/800 service number, not a customer line' };
  if (LANDLINE.test(national) && valid) {
    return { ok: true, phone: `0${national}`, kind: 'landline', e164: `+86${national}` };
  }
  return { ok: false, reason: INVALID };
}

const IDD_PREFIX = new RegExp(`^(?:${CHINA_PLAN.iddPrefix})`);
const NATIONAL_PREFIX = new RegExp(`^(?:${CHINA_PLAN.nationalPrefixForParsing})`);
const NATIONAL_NUMBER = new RegExp(`^(?:${CHINA_PLAN.nationalNumber})$`);
/** The separators libphonenumber accepts between digits, of those normalizePhone lets through. */
const VIABLE = /^\+?(?:[-. \u00a0\u3000()]*\d){3,}[-. \u00a0\u3000()\d]*$/;

/**
 * Reads `text` (digits, separators, a leading +) as a number for China: its national significant
 * number and whether the plan's pattern holds it valid, or undefined when it is not one. The steps
 * are those libphonenumber-js takes to parse with default country CN, for that one country. Where a step of libphonenumber's cannot change the answer for
 * this plan (its length limits; two guards against numbers no shape check below lets through), it
 * is left out. test/imports/phone-oracle.test.ts checks that the two agree on every input it
 * generates, so the library stays out of the import functions' bundles (38 KB, about 1 ms of cold
 * start: docs/performance.md).
 */
function parseChinese(text: string): ReturnType<ChineseNumberParser> {
  const national = nationalSignificantNumber(text);
  return national === undefined ? undefined : { national, valid: NATIONAL_NUMBER.test(national) };
}

function nationalSignificantNumber(text: string): string | undefined {
  const start = text.search(/[+\d]/);
  if (start < 0) return undefined;
  const number = text.slice(start).replace(/\D+$/, '');
  if (!/^\d{2}$/.test(number) && !VIABLE.test(number)) return undefined;
  const digits = number.replace(/\D/g, '');
  if (number.startsWith('+')) return afterCallingCode(digits);
  // 00, or a carrier's international prefix (17951 00…).
  const idd = IDD_PREFIX.exec(digits)?.[0];
  if (idd) return afterCallingCode(digits.slice(idd.length));
  // 86… without + or 00 is international when what follows is a Chinese number.
  const rest = withoutNationalPrefix(digits.slice(CHINA_PLAN.callingCode.length));
  if (digits.startsWith(CHINA_PLAN.callingCode) && NATIONAL_NUMBER.test(rest)) return rest;
  return withoutNationalPrefix(digits);
}

const afterCallingCode = (digits: string) =>
  digits.startsWith(CHINA_PLAN.callingCode)
    ? withoutNationalPrefix(digits.slice(CHINA_PLAN.callingCode.length))
    : undefined;

/**
 * Drops the trunk prefix 0 or a carrier-selection code (17951…), unless the rest would no longer be
 * a Chinese number where the whole was one.
 */
function withoutNationalPrefix(digits: string): string {
  const prefix = NATIONAL_PREFIX.exec(digits)?.[0];
  if (prefix === undefined) return digits;
  const rest = digits.slice(prefix.length);
  return NATIONAL_NUMBER.test(digits) && !NATIONAL_NUMBER.test(rest) ? digits : rest;
}
