import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../../cli/command.ts';
import { parseCustomerCsv, parseCustomerJson, readCustomerFile } from '../../../cli/customer-file.ts';

describe('Module: customer-file', () => {
  describe('Function: parseCustomerCsv', () => {
    it('maps Chinese header aliases and turns other columns into properties', () => {
      // Prepare
      const text =
        '客户名称,手机号,还款金额,user_id\r\n张三,13800138000,888,u-1\r\n李四,13900139000,,u-2\r\n';

      // Act
      const file = parseCustomerCsv(text);

      // Assess
      expect(file.columns).toEqual({
        name: '客户名称',
        phone: '手机号',
        properties: ['还款金额', 'user_id'],
      });
      expect(file.rows).toEqual([
        { name: '张三', phone: '13800138000', properties: { 还款金额: '888', user_id: 'u-1' } },
        // An empty cell is a missing property, not an empty one.
        { name: '李四', phone: '13900139000', properties: { user_id: 'u-2' } },
      ]);
      expect(file.where).toEqual(['line 2', 'line 3']);
    });

    it('numbers rows as a spreadsheet does and skips blank lines', () => {
      // Act
      const file = parseCustomerCsv('name,phone\n\nA,1\n,\nB,2\n');

      // Assess
      expect(file.where).toEqual(['line 3', 'line 5']);
      expect(file.received).toBe(2);
    });

    it('reports a row with more fields than the header instead of shifting its columns', () => {
      // Act
      const file = parseCustomerCsv('name,phone,city\nA,1,杭州,西湖区\nB,2,,\n');

      // Assess
      expect(file.rows).toEqual([{ name: 'B', phone: '2' }]);
      expect(file.problems).toEqual([
        {
          where: 'line 2',
          field: 'row',
          rule: 'columns',
          message: '4 fields but the header has 3 (an unquoted comma?)',
        },
      ]);
      expect(file.received).toBe(2);
    });

    it('fails on a file without a phone column, naming the accepted headers', () => {
      // Act & Assess
      expect(() => parseCustomerCsv('name,tel\nA,1\n', 'x.csv')).toThrow(CliError);
      expect(() => parseCustomerCsv('name,tel\nA,1\n', 'x.csv')).toThrow(
        /no phone column: name one of phone,.*手机号/,
      );
    });

    it('fails on two phone columns', () => {
      // Act & Assess
      expect(() => parseCustomerCsv('name,电话,手机\nA,1,2\n')).toThrow(
        /more than one phone column \(电话, 手机\)/,
      );
    });

    it('fails on broken quoting with the line', () => {
      // Act & Assess
      expect(() => parseCustomerCsv('name,phone\n"A,1\n', 'x.csv')).toThrow(/x.csv is not valid CSV: line 2/);
    });
  });

  describe('Function: parseCustomerJson', () => {
    it('reads an array or { customers }, turning numbers into text', () => {
      // Act
      const array = parseCustomerJson(
        '[{"name":"A","phone":13800138000,"properties":{"n":1,"ok":true,"gone":null}}]',
      );
      const wrapped = parseCustomerJson('{"customers":[{"name":"B","phone":"13900139000"}]}');

      // Assess
      expect(array.rows).toEqual([{ name: 'A', phone: '13800138000', properties: { n: '1', ok: 'true' } }]);
      expect(array.where).toEqual(['[0]']);
      expect(wrapped.rows).toEqual([{ name: 'B', phone: '13900139000' }]);
      expect(wrapped.where).toEqual(['customers[0]']);
    });

    it('reports items it cannot read by their index', () => {
      // Act
      const file = parseCustomerJson(
        '[1, {"name":"A","phone":{}}, {"name":"B","phone":"2","properties":[1]}]',
      );

      // Assess
      expect(file.rows).toEqual([]);
      expect(file.received).toBe(3);
      expect(file.problems.map((p) => `${p.where} ${p.field}`)).toEqual([
        '[0] row',
        '[1] phone',
        '[2] properties',
      ]);
    });

    it('fails on JSON of another shape', () => {
      // Act & Assess
      expect(() => parseCustomerJson('{"rows":[]}')).toThrow(/expected an array of customers/);
      expect(() => parseCustomerJson('[')).toThrow(/not valid JSON/);
    });
  });

  describe('Function: readCustomerFile', () => {
    it('reads a UTF-8 CSV with a BOM and tells JSON from CSV by extension or content', async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), 'cli-file-'));
      const csv = join(dir, 'list.csv');
      const json = join(dir, 'list.txt');
      await writeFile(csv, '\uFEFF姓名,电话\r\n"张, 三",13800138000\r\n');
      await writeFile(json, '[{"name":"A","phone":"1"}]');

      // Act
      const fromCsv = await readCustomerFile(csv);
      const fromJson = await readCustomerFile(json);

      // Assess
      expect(fromCsv).toMatchObject({
        format: 'csv',
        encoding: 'utf-8',
        rows: [{ name: '张, 三', phone: '13800138000' }],
      });
      expect(fromJson).toMatchObject({ format: 'json', rows: [{ name: 'A', phone: '1' }] });
    });

    it('fails with a clear message for a missing file', async () => {
      // Act & Assess
      await expect(readCustomerFile('/nonexistent/list.csv')).rejects.toThrow(
        'cannot read /nonexistent/list.csv: no such file',
      );
    });
  });
});
