import { describe, expect, it } from 'vitest';
import { CsvError, decodeText, parseCsv } from '../../../cli/csv.ts';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe('Module: csv', () => {
  describe('Function: parseCsv', () => {
    it('reads plain records with LF or CRLF line ends', () => {
      // Act
      const lf = fields('name,phone\n张三,13800138000\n');
      const crlf = fields('name,phone\r\n张三,13800138000\r\n');

      // Assess
      expect(lf).toEqual([
        ['name', 'phone'],
        ['张三', '13800138000'],
      ]);
      expect(crlf).toEqual(lf);
    });

    it('drops a UTF-8 byte order mark so the first header is not "\\uFEFFname"', () => {
      // Act
      const records = fields('\uFEFF姓名,手机号\r\n李四,13900139000\r\n');

      // Assess
      expect(records[0]).toEqual(['姓名', '手机号']);
    });

    it('keeps commas, doubled quotes and line breaks inside quoted fields', () => {
      // Prepare
      const text = 'name,address,note\r\n"王五","杭州市, 西湖区","他说""你好""\r\n第二行"\r\n';

      // Act
      const records = parseCsv(text);

      // Assess
      expect(records.map((r) => r.fields)).toEqual([
        ['name', 'address', 'note'],
        ['王五', '杭州市, 西湖区', '他说"你好"\n第二行'],
      ]);
      expect(records.map((r) => r.line)).toEqual([1, 2]);
    });

    it('counts text lines across multi-line fields', () => {
      // Act
      const records = parseCsv('a\n"x\ny"\nb\n');

      // Assess
      expect(records.map((r) => r.line)).toEqual([1, 2, 4]);
    });

    it('reads empty fields, a trailing delimiter and a last record without a line break', () => {
      // Act & Assess
      expect(fields('a,,c\n,b,')).toEqual([
        ['a', '', 'c'],
        ['', 'b', ''],
      ]);
      expect(fields('"",x')).toEqual([['', 'x']]);
    });

    it('keeps blank lines as one empty field so record numbers match the spreadsheet', () => {
      // Act & Assess
      expect(fields('h\n\nx\n')).toEqual([['h'], [''], ['x']]);
    });

    it('returns no records for empty input or a lone BOM', () => {
      // Act & Assess
      expect(parseCsv('')).toEqual([]);
      expect(parseCsv('\uFEFF')).toEqual([]);
    });

    it('treats a lone CR as a line end (old Mac exports)', () => {
      // Act & Assess
      expect(fields('a\rb\r')).toEqual([['a'], ['b']]);
    });

    it('keeps a stray quote inside an unquoted field, as Excel does', () => {
      // Act & Assess
      expect(fields('5" screen,x\n')).toEqual([['5" screen', 'x']]);
    });

    it('allows spaces after a closing quote but refuses other text there', () => {
      // Act & Assess
      expect(fields('"a"  ,b\n')).toEqual([['a', 'b']]);
      expect(() => parseCsv('x\n"a"b,c\n')).toThrow(CsvError);
      expect(() => parseCsv('x\n"a"b,c\n')).toThrow(/line 2: unexpected "b" after a closing quote/);
    });

    it('reports an unterminated quote at the line where it opened', () => {
      // Act
      const error = (() => {
        try {
          parseCsv('name\n"never closed\nmore\n');
        } catch (e) {
          return e;
        }
        return null;
      })();

      // Assess
      expect(error).toBeInstanceOf(CsvError);
      expect((error as CsvError).line).toBe(2);
    });

    it('takes another delimiter when asked', () => {
      // Act & Assess
      expect(fields('x')).toEqual([['x']]);
      expect(parseCsv('a;"b;c"\n', { delimiter: ';' }).map((r) => r.fields)).toEqual([['a', 'b;c']]);
      expect(() => parseCsv('a', { delimiter: '"' })).toThrow(TypeError);
    });
  });

  describe('Function: decodeText', () => {
    it('reads UTF-8 and drops its BOM', () => {
      // Prepare
      const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('姓名,电话')]);

      // Act
      const decoded = decodeText(bytes);

      // Assess
      expect(decoded).toEqual({ text: '姓名,电话', encoding: 'utf-8' });
    });

    it('falls back to GB18030 for bytes that are not UTF-8 (a plain "CSV" save from Chinese Excel)', () => {
      // Prepare: 姓名 in GBK
      const bytes = new Uint8Array([0xd0, 0xd5, 0xc3, 0xfb, 0x2c, 0x41]);

      // Act
      const decoded = decodeText(bytes);

      // Assess
      expect(decoded).toEqual({ text: '姓名,A', encoding: 'gb18030' });
    });
  });
});
