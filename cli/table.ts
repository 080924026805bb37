/**
 * Plain-text tables whose columns line up in a terminal even with Chinese text: a CJK character
 * takes two terminal columns, a combining mark none, so widths are counted in display columns, not
 * in string length. The table's own chrome is ASCII only (`-`, `...`), because box-drawing
 * characters and `…` are "ambiguous width" and take two columns in many Chinese terminal setups.
 */

/** Code point ranges of East Asian Wide (W) and Fullwidth (F) characters, sorted. */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul Jamo initials
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation (、。「」)
  [0x3041, 0x33ff], // kana, bopomofo, Hangul compatibility, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth ASCII variants (，：（）)
  [0xffe0, 0xffe6], // fullwidth signs (￥)
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff], // Tangut
  [0x1b000, 0x1b2ff], // kana supplement
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251], // enclosed ideographic supplement
  [0x1f300, 0x1f64f], // emoji: symbols, pictographs, emoticons
  [0x1f680, 0x1f6ff], // transport and map symbols
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd], // CJK extensions B–F
  [0x30000, 0x3fffd], // CJK extension G and later
];

/** Ranges that take no column: combining marks, zero-width characters, variation selectors. */
const ZERO: ReadonlyArray<readonly [number, number]> = [
  [0x0300, 0x036f],
  [0x0483, 0x0489],
  [0x0591, 0x05bd],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x200b, 0x200f], // zero-width space/joiners, direction marks
  [0x2028, 0x202e],
  [0x2060, 0x2064],
  [0x20d0, 0x20ff],
  [0x302a, 0x302d], // ideographic tone marks
  [0x3099, 0x309a], // kana voicing marks
  [0xfe00, 0xfe0f], // variation selectors
  [0xfe20, 0xfe2f],
  [0xfeff, 0xfeff], // BOM / zero-width no-break space
  [0xe0100, 0xe01ef],
];

function inRanges(cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = ranges[mid]!;
    if (cp < from) hi = mid - 1;
    else if (cp > to) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Terminal columns one code point takes: 0, 1 or 2. */
export function codePointWidth(cp: number): 0 | 1 | 2 {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if (inRanges(cp, ZERO)) return 0;
  return inRanges(cp, WIDE) ? 2 : 1;
}

/** Terminal columns a string takes. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += codePointWidth(ch.codePointAt(0)!);
  return width;
}

/** Cuts a string to at most `width` columns, marking the cut with `...` when there is room for it. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  const marker = width >= 4 ? '...' : '';
  const room = width - marker.length;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = codePointWidth(ch.codePointAt(0)!);
    // A wide character that would straddle the limit is left out rather than half-shown.
    if (used + w > room) break;
    out += ch;
    used += w;
  }
  return out + marker;
}

/** Pads to `width` columns on the right (or on the left for `align: 'right'`). */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

export type Cell = string | number | boolean | null | undefined;

export interface Column {
  header: string;
  /** @default 'left' */
  align?: 'left' | 'right';
  /** Longer cells are cut with `...`. @default no limit */
  maxWidth?: number;
}

/** A cell as one line of text: null and undefined (unknown) print as `-`, line breaks and tabs as spaces. */
export function cellText(value: Cell): string {
  if (value === null || value === undefined) return '-';
  return String(value).replace(/\r\n|[\r\n\t]/g, ' ');
}

/**
 * Renders rows under a header and a dashed rule, columns two spaces apart, no trailing spaces.
 * Returns the text with a final line break, or `(none)` for no rows so an empty answer is visible.
 */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<readonly Cell[]>): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) =>
    columns.map((col, i) => {
      const text = cellText(row[i]);
      return col.maxWidth === undefined ? text : truncate(text, col.maxWidth);
    }),
  );
  const widths = columns.map((col, i) =>
    Math.max(displayWidth(col.header), ...cells.map((row) => displayWidth(row[i]!))),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => pad(v, widths[i]!, columns[i]!.align))
      .join('  ')
      .trimEnd();
  const out = [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map((row) => line(row)),
  ];
  return `${out.join('\n')}\n`;
}

/** Renders `label  value` pairs with the labels padded to one width (for `show` commands). */
export function renderFields(pairs: ReadonlyArray<readonly [string, Cell]>): string {
  if (pairs.length === 0) return '';
  const width = Math.max(...pairs.map(([label]) => displayWidth(label)));
  return `${pairs.map(([label, value]) => `${pad(label, width)}  ${cellText(value)}`.trimEnd()).join('\n')}\n`;
}
