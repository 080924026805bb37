/**
 * Plain-text tables whose columns line up in a terminal even with Chinese text: a CJK character
 * takes two terminal columns, a combining mark none, so widths are counted in display columns, not
 * in string length. The table's own chrome is ASCII only (`-`, `...`), because box-drawing
 * characters and `…` are "ambiguous width" and take two columns in many Chinese terminal setups.
 */
import stringWidth from 'string-width';

/** Terminal columns a string takes (string-width: East Asian Wide and Fullwidth count two). */
export const displayWidth = (text: string): number => stringWidth(text);

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts a string to at most `width` columns, marking the cut with `...` when there is room for it. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  const marker = width >= 4 ? '...' : '';
  const room = width - marker.length;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = displayWidth(segment);
    // A wide character that would straddle the limit is left out rather than half-shown.
    if (used + w > room) break;
    out += segment;
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
