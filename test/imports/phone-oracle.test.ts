// The bundled phone parser (shared/imports/phone.ts) against libphonenumber-js, which it replaced in
// the import functions' bundles: for every input generated here the two must answer alike — the
// same number and kind, or the same reason for refusing it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../shared/imports/phone.ts';
import { normalizePhoneWithLibphonenumber } from '../support/phone-oracle.ts';

const digit = fc.constantFrom(...'0123456789');
const digits = (min: number, max: number) =>
  fc.array(digit, { minLength: min, maxLength: max }).map((d) => d.join(''));

/** What people put between digit groups, and a few things libphonenumber does not accept. */
const separator = fc.constantFrom(
  '',
  '',
  '',
  ' ',
  '-',
  '.',
  '(',
  ')',
  '  ',
  ' - ',
  '\t',
  '\u00a0',
  '\u3000',
  '\n',
);

/** Chinese numbers of every shape, and shapes that are nearly one. */
const body = fc.oneof(
  fc
    .tuple(fc.constantFrom('13', '14', '15', '16', '17', '18', '19', '10', '12', '11'), digits(7, 11))
    .map(([a, b]) => a + b),
  fc
    .tuple(
      fc.constantFrom('010', '02', '0755', '0571', '0311', '0898', '10', '21', '755', '0'),
      digits(5, 10),
    )
    .map(([a, b]) => a + b),
  fc
    .tuple(
      fc.constantFrom('400', '800', '4000', '95', '86', '179', '17951', '12593', '1795100'),
      digits(3, 11),
    )
    .map(([a, b]) => a + b),
  digits(0, 16),
);

/** How the country is written in front, if at all. */
const prefix = fc.constantFrom(
  '',
  '',
  '',
  '+86',
  '+86 ',
  '+ 86',
  '(+86)',
  '(+86) ',
  '+86 (0)',
  '0086',
  '00 86',
  '0086-',
  '86',
  '86 ',
  '86-',
  '0',
  '(0',
  '17951',
  '17951 ',
  '1795100',
  '179510086',
  '11900',
  '1295100',
  '+1',
  '+0',
  '+8',
  '+860',
  '001',
  '00',
  '0',
  '++86',
  '+',
  '86+',
  ' (',
  '(',
  '-',
);

/** Spreads separators between the characters of a number written without any. */
const formatted = fc
  .tuple(prefix, body, fc.array(separator, { minLength: 24, maxLength: 24 }), fc.boolean())
  .map(([p, b, seps, fullWidth]) => {
    const text = p + [...b].map((c, i) => c + seps[i]!).join('');
    return fullWidth ? text.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)) : text;
  });

/** Anything made of the characters a phone cell may hold. */
const noise = fc.array(fc.constantFrom(...'0123456789 +-().\t'), { maxLength: 22 }).map((c) => c.join(''));

describe('Function: normalizePhone (against libphonenumber-js)', () => {
  it('answers as libphonenumber-js does for formatted Chinese and foreign numbers', () => {
    fc.assert(
      fc.property(formatted, (input) => {
        expect(normalizePhone(input)).toEqual(normalizePhoneWithLibphonenumber(input));
      }),
      { numRuns: 60_000 },
    );
  });

  it('answers as libphonenumber-js does for any string of digits and separators', () => {
    fc.assert(
      fc.property(noise, (input) => {
        expect(normalizePhone(input)).toEqual(normalizePhoneWithLibphonenumber(input));
      }),
      { numRuns: 30_000 },
    );
  });

  it('answers as libphonenumber-js does for the shapes seen in CRM exports', () => {
    const samples = [
      '+86 138 0013 8000',
      '+86-10-1234-5678',
      '+86 (0)10 1234 5678',
      '0086 21 6123 4567',
      '(010) 1234-5678',
      '010-12345678',
      '0755-8765 4321',
      '8610 1234 5678',
      '86 021 61234567',
      '179 5101 0123 45678',
      '1795100861380013800',
      '17951 138 0013 8000',
      '400-800-1234',
      '800 810 8888',
      '95588',
      '+1 415 555 0100',
      '001 415 555 0100',
      '+852 9123 4567',
      '12345',
      '0',
      '00',
      '+',
      '+86',
      '861380013800',
      '86138001380000',
      '10 1234 5678',
      '021 1234 567',
      '0898 1234567',
      '+86 898 1234 5678',
      '0311 12345678',
    ];
    for (const input of samples)
      expect(normalizePhone(input), input).toEqual(normalizePhoneWithLibphonenumber(input));
  });
});
