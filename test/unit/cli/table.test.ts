import { describe, expect, it } from 'vitest';
import { cellText, displayWidth, pad, renderFields, renderTable, truncate } from '../../../cli/table.ts';

describe('Module: table', () => {
  describe('Function: displayWidth', () => {
    it.each([
      ['abc', 3],
      ['张三', 4],
      ['A级(较强)', 9],
      ['，：（）', 8], // fullwidth punctuation
      ['。、「」', 8], // CJK punctuation
      ['한국', 4],
      ['カタカナ', 8],
      ['e\u0301', 1], // e + combining acute
      ['a\u200bb', 2], // zero-width space
      ['👍', 2],
      ['𠀀', 2], // CJK extension B (outside the BMP)
      ['\t\n', 0],
      ['', 0],
    ])('counts %j as %i columns', (text, width) => {
      // Act & Assess
      expect(displayWidth(text)).toBe(width);
    });
  });

  describe('Function: truncate', () => {
    it('leaves text that fits alone', () => {
      // Act & Assess
      expect(truncate('张三', 4)).toBe('张三');
    });

    it('cuts by columns and marks the cut', () => {
      // Act
      const cut = truncate('杭州市西湖区文三路', 10);

      // Assess
      expect(cut).toBe('杭州市...');
      expect(displayWidth(cut)).toBeLessThanOrEqual(10);
    });

    it('never splits a wide character at the limit', () => {
      // Act
      const cut = truncate('ab张三李四', 8);

      // Assess: 'ab张' is 4 columns; '李' would need 2 more than the 5 left before '...'
      expect(cut).toBe('ab张...');
      expect(displayWidth(cut)).toBe(7);
    });

    it('cuts without a marker when there is no room for one', () => {
      // Act & Assess
      expect(truncate('abcdef', 3)).toBe('abc');
    });
  });

  describe('Function: pad', () => {
    it('pads by display width, left or right', () => {
      // Act & Assess
      expect(pad('张三', 6)).toBe('张三  ');
      expect(pad('7', 3, 'right')).toBe('  7');
      expect(pad('toolong', 3)).toBe('toolong');
    });
  });

  describe('Function: cellText', () => {
    it('shows unknown values as - and keeps a cell on one line', () => {
      // Act & Assess
      expect(cellText(null)).toBe('-');
      expect(cellText(undefined)).toBe('-');
      expect(cellText('')).toBe('');
      expect(cellText(0)).toBe('0');
      expect(cellText(false)).toBe('false');
      expect(cellText('a\r\nb\tc\nd')).toBe('a b c d');
    });
  });

  describe('Function: renderTable', () => {
    it('lines up columns holding Chinese text', () => {
      // Prepare
      const columns = [{ header: 'ID', align: 'right' as const }, { header: 'NAME' }, { header: 'PHONE' }];
      const rows = [
        [1, '张三', '13800138000'],
        [22, 'Li Si', '13900139000'],
        [333, '欧阳娜娜', null],
      ];

      // Act
      const text = renderTable(columns, rows);

      // Assess
      expect(text).toBe(
        [
          ' ID  NAME      PHONE',
          '---  --------  -----------',
          '  1  张三      13800138000',
          ' 22  Li Si     13900139000',
          '333  欧阳娜娜  -',
          '',
        ].join('\n'),
      );
    });

    it('cuts cells to a column maximum', () => {
      // Act
      const text = renderTable([{ header: 'NAME', maxWidth: 6 }], [['杭州市西湖区']]);

      // Assess
      expect(text.split('\n')[2]).toBe('杭...');
    });

    it('says (none) for no rows', () => {
      // Act & Assess
      expect(renderTable([{ header: 'ID' }], [])).toBe('(none)\n');
    });
  });

  describe('Function: renderFields', () => {
    it('aligns values after labels of different widths', () => {
      // Act
      const text = renderFields([
        ['状态', 'running'],
        ['robot', null],
      ]);

      // Assess
      expect(text).toBe('状态   running\nrobot  -\n');
    });
  });
});
