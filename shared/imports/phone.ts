import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
import { CHINA_METADATA } from './phone-metadata.ts';

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
 * Normalises a Chinese mobile or landline number to the form byrobot dials: 11 digits for a mobile
 * (`13800138000`), the area code with its 0 and the number for a landline (`01012345678`).
 * Tolerates +86 / 0086 / 86 prefixes, spaces, dashes, dots, brackets and full-width digits.
 * libphonenumber-js parses, with its `min` metadata cut down to China (shared/imports/phone-metadata.ts,
 * generated): a few KB instead of ~80 KB in the bundle. That metadata validates loosely, so the
 * mobile and landline shapes are checked on top; a number of another country is refused.
 */
export function normalizePhone(input: unknown): PhoneResult {
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
  // An 11-digit mobile written nationally is unambiguous. Parsing it would let libphonenumber strip
  // what CN's metadata calls a carrier-selection prefix (179xx): `17985009885` became `009885`, read
  // as a number for Iran. It is also most of what an import holds, and this is faster.
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
  const parsed = parsePhoneNumberFromString(candidate, 'CN', CHINA_METADATA);
  if (!parsed) return { ok: false, reason: INVALID };
  if (parsed.country !== 'CN' && parsed.countryCallingCode !== '86')
    return { ok: false, reason: NOT_CHINESE };
  const national = String(parsed.nationalNumber);
  if (MOBILE.test(national)) return { ok: true, phone: national, kind: 'mobile', e164: `+86${national}` };
  if (SERVICE.test(national)) return { ok: false, reason: 'a 400/800 service number, not a customer line' };
  if (LANDLINE.test(national) && parsed.isValid()) {
    return { ok: true, phone: `0${national}`, kind: 'landline', e164: `+86${national}` };
  }
  return { ok: false, reason: INVALID };
}
