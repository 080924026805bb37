// The oracle for shared/imports/phone.ts: its normaliser with libphonenumber-js (and China's part
// of the library's metadata) doing the parsing, as the bridge did before it parsed on its own.
// test/imports/phone-oracle.test.ts checks the two answer alike for every input it generates.
import { type MetadataJson, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import { chinaMetadata } from '../../scripts/phone-metadata.ts';
import { normalizePhoneWith, type PhoneResult } from '../../shared/imports/phone.ts';

const CHINA_METADATA = chinaMetadata() as unknown as MetadataJson;

export function normalizePhoneWithLibphonenumber(input: unknown): PhoneResult {
  return normalizePhoneWith(input, (text) => {
    const parsed = parsePhoneNumberFromString(text, 'CN', CHINA_METADATA);
    if (!parsed || (parsed.country !== 'CN' && parsed.countryCallingCode !== '86')) return undefined;
    return { national: String(parsed.nationalNumber), valid: parsed.isValid() };
  });
}
