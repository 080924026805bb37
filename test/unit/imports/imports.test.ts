import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  applyMapping,
  chunkRows,
  ImportMappingSchema,
  maskPhone,
  maskPhonesInText,
  normalizePhone,
  prepareImport,
  splitForByrobot,
} from '../../../shared/imports/index.ts';

describe('Function: normalizePhone', () => {
  it.each([
    ['13800138000', '13800138000', 'mobile'],
    ['138 0013 8000', '13800138000', 'mobile'],
    ['+86 138-0013-8000', '13800138000', 'mobile'],
    ['0086 13800138000', '13800138000', 'mobile'],
    ['8613800138000', '13800138000', 'mobile'],
    ['１３８００１３８０００', '13800138000', 'mobile'],
    // CN metadata would strip 179xx as a carrier-selection prefix (found by the property test)
    [' 179 8500 9885 ', '17985009885', 'mobile'],
    ['+86 179 8500 9885', '17985009885', 'mobile'],
    ['(010) 1234 5678', '01012345678', 'landline'],
    ['0571-88886666', '057188886666', 'landline'],
    ['+86 21 1234 5678', '02112345678', 'landline'],
  ])('%s → %s (%s)', (input, phone, kind) => {
    expect(normalizePhone(input)).toMatchObject({ ok: true, phone, kind });
  });

  it.each([
    ['12345', /valid/],
    ['1380013800', /valid/],
    ['11012345678', /valid/],
    ['+1 415 555 2671', /Chinese/],
    ['abc', /characters/],
    ['', /empty/],
    ['4008001234', /service/],
    ['1'.repeat(40), /too long/],
  ])('refuses %s', (input, reason) => {
    const result = normalizePhone(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
  // The shapes seen in CRM exports, and the edge cases the differential test against
  // libphonenumber-js found while the bridge carried a port of its parser: carrier prefixes (179xx),
  // "86" without + or 00, a trunk 0 after +86, short and service numbers.
  it.each([
    ['+86 138 0013 8000', '13800138000', 'mobile'],
    ['+86-10-1234-5678', '01012345678', 'landline'],
    ['+86 (0)10 1234 5678', '01012345678', 'landline'],
    ['0086 21 6123 4567', '02161234567', 'landline'],
    ['(010) 1234-5678', '01012345678', 'landline'],
    ['010-12345678', '01012345678', 'landline'],
    ['0755-8765 4321', '075587654321', 'landline'],
    ['8610 1234 5678', '01012345678', 'landline'],
    ['86 021 61234567', '02161234567', 'landline'],
    ['179 5101 0123 45678', null, 'not a valid Chinese mobile or landline number'],
    ['1795100861380013800', null, 'not a valid Chinese mobile or landline number'],
    ['17951 138 0013 8000', '13800138000', 'mobile'],
    ['400-800-1234', null, 'a 400/800 service number, not a customer line'],
    ['800 810 8888', null, 'a 400/800 service number, not a customer line'],
    ['95588', null, 'not a valid Chinese mobile or landline number'],
    ['+1 415 555 0100', null, 'not a Chinese number (byrobot dials numbers in China)'],
    ['001 415 555 0100', null, 'not a Chinese number (byrobot dials numbers in China)'],
    ['+852 9123 4567', null, 'not a Chinese number (byrobot dials numbers in China)'],
    ['0', null, 'not a valid Chinese mobile or landline number'],
    ['00', null, 'not a Chinese number (byrobot dials numbers in China)'],
    ['+', null, 'not a Chinese number (byrobot dials numbers in China)'],
    ['+86', null, 'not a valid Chinese mobile or landline number'],
    ['861380013800', null, 'not a valid Chinese mobile or landline number'],
    ['86138001380000', null, 'not a valid Chinese mobile or landline number'],
    ['10 1234 5678', '01012345678', 'landline'],
    ['021 1234 567', null, 'not a valid Chinese mobile or landline number'],
    ['0898 1234567', '08981234567', 'landline'],
    ['+86 898 1234 5678', '089812345678', 'landline'],
    ['0311 12345678', '031112345678', 'landline'],
  ] as const)('%s → %s (%s)', (input, phone, kindOrReason) => {
    expect(normalizePhone(input)).toMatchObject(
      phone === null ? { ok: false, reason: kindOrReason } : { ok: true, phone, kind: kindOrReason },
    );
  });
});

describe('Function: maskPhone', () => {
  it('keeps the first three and last four digits', () => {
    expect(maskPhone('13800138000')).toBe('138****8000');
    expect(maskPhone('01012345678')).toBe('010****5678');
    expect(maskPhonesInText('called 13800138000 and +86 138-0013-8001 at 10:15')).toBe(
      'called 138****8000 and 861******8001 at 10:15',
    );
  });
});

describe('Function: prepareImport', () => {
  it('partitions rows into valid, duplicates and invalid, naming the field and the rule', () => {
    const out = prepareImport([
      { name: '张三', phone: '138 0013 8000', properties: { crmId: 'L-1', score: 5, vip: true } },
      { name: '张三', phone: '+8613800138000' },
      { name: '', phone: '13800138001' },
      { name: '李四', phone: '12345' },
      'junk',
      { name: '王五', phone: '13800138002', properties: { nested: { a: 1 } } },
      JSON.parse('{"name": "赵六", "phone": "13800138003", "properties": {"__proto__": "x"}}'),
    ]);
    expect(out.valid).toEqual([
      { index: 0, name: '张三', phone: '13800138000', properties: { crmId: 'L-1', score: '5', vip: 'true' } },
    ]);
    expect(out.duplicates).toEqual([{ index: 1, phone: '138****8000', duplicateOf: 0 }]);
    expect(out.invalid.map((p) => [p.index, p.field, p.rule])).toEqual([
      [2, 'name', 'required'],
      [3, 'phone', 'phone-format'],
      [4, 'row', 'type'],
      [5, 'properties.nested', 'type'],
      [6, 'properties.__proto__', 'forbidden-key'],
    ]);
    expect(out.counts).toEqual({ received: 7, valid: 1, duplicates: 1, invalid: 5 });
  });

  it('reports rows missing a script variable: refused with reject, warned with pass', () => {
    const rows = [
      { name: 'a', phone: '13800138000', properties: { 还款金额: '88' } },
      { name: 'b', phone: '13800138001' },
    ];
    const rejected = prepareImport(rows, {
      requiredVariables: ['还款金额', '客户名称'],
      onMissingVariables: 'reject',
    });
    expect(rejected.invalid).toEqual([
      expect.objectContaining({ index: 1, field: 'properties.还款金额', rule: 'required-variable' }),
    ]);
    const passed = prepareImport(rows, { requiredVariables: ['还款金额'] });
    expect(passed.valid).toHaveLength(2);
    expect(passed.warnings).toEqual([expect.objectContaining({ index: 1, rule: 'required-variable' })]);
  });

  const hostileRow = fc.oneof(
    fc.anything(),
    fc.record({
      name: fc.oneof(
        fc.string(),
        fc.string({ unit: 'grapheme' }),
        fc.constant(''),
        fc.integer(),
        fc.constant(null),
      ),
      phone: fc.oneof(
        fc.constantFrom(
          '13800138000',
          '+86 139 0000 1111',
          '010-12345678',
          '０５７１８８８８６６６６',
          'x',
          '',
        ),
        fc.string(),
        fc.integer(),
      ),
      properties: fc.oneof(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor')),
          fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.object()),
        ),
        fc.anything(),
      ),
    }),
  );

  it('never throws, and puts every row in exactly one place', () => {
    fc.assert(
      fc.property(fc.array(hostileRow, { maxLength: 60 }), (rows) => {
        const out = prepareImport(rows);
        const indexes = [...out.valid, ...out.duplicates, ...out.invalid]
          .map((r) => r.index)
          .sort((a, b) => a - b);
        expect(indexes).toEqual(rows.map((_, i) => i));
        expect(out.valid.map((r) => r.index)).toEqual(
          [...out.valid.map((r) => r.index)].sort((a, b) => a - b),
        );
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('never drops a valid row: preparing the valid output again keeps it all', () => {
    fc.assert(
      fc.property(fc.array(hostileRow, { maxLength: 60 }), (rows) => {
        const first = prepareImport(rows);
        const again = prepareImport(
          first.valid.map(({ name, phone, properties }) => ({ name, phone, properties })),
        );
        expect(again.valid.map(({ name, phone, properties }) => ({ name, phone, properties }))).toEqual(
          first.valid.map(({ name, phone, properties }) => ({ name, phone, properties })),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('Function: applyMapping', () => {
  const mapping = v.parse(ImportMappingSchema, {
    list: 'data.leads',
    name: ['contact.name', 'fullName'],
    phone: ['contact.mobile', 'contacts.0.phone'],
    properties: { crmId: 'id', 还款金额: 'amount', vip: 'flags.vip' },
    constants: { source: 'hubspot' },
  });

  it('turns a CRM payload into import rows, with fallbacks, indices and stringified properties', () => {
    const out = applyMapping(mapping, {
      data: {
        leads: [
          { id: 42, contact: { name: '张三', mobile: '13800138000' }, amount: 888, flags: { vip: true } },
          { id: 43, fullName: '李四', contacts: [{ phone: '13900139000' }], amount: null },
          { id: 44 },
        ],
      },
    });
    expect(out).toEqual({
      ok: true,
      value: {
        customers: [
          {
            name: '张三',
            phone: '13800138000',
            properties: { crmId: '42', 还款金额: '888', vip: 'true', source: 'hubspot' },
          },
          { name: '李四', phone: '13900139000', properties: { crmId: '43', source: 'hubspot' } },
          { name: undefined, phone: undefined, properties: { crmId: '44', source: 'hubspot' } },
        ],
      },
    });
  });

  it('says which path failed when the list is not there, and never throws on any payload', () => {
    expect(applyMapping(mapping, { data: {} })).toMatchObject({
      ok: false,
      error: expect.stringContaining('data.leads'),
    });
    fc.assert(
      fc.property(fc.anything(), (payload) => void applyMapping(mapping, payload)),
      { numRuns: 300 },
    );
  });

  it('refuses an unknown mapping field in configuration', () => {
    expect(v.safeParse(ImportMappingSchema, { name: 'n', phone: 'p', lst: 'x' }).success).toBe(false);
  });
});

describe('Function: chunkRows', () => {
  it('keeps order and every row, within both limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 200 }), { maxLength: 500 }),
        fc.integer({ min: 1, max: 50 }),
        (names, maxRows) => {
          const rows = names.map((name, index) => ({ index, name, phone: '13800138000' }));
          const chunks = chunkRows(rows, { maxRows, maxBytes: 4000 });
          expect(chunks.flat()).toEqual(rows);
          for (const chunk of chunks) {
            expect(chunk.length).toBeLessThanOrEqual(maxRows);
            expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThanOrEqual(4000);
          }
        },
      ),
    );
    expect(splitForByrobot(Array.from({ length: 25_001 }, (_, i) => i)).map((c) => c.length)).toEqual([
      10_000, 10_000, 5_001,
    ]);
  });
});
