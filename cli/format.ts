import type { Coded } from '../shared/byrobot/index.ts';
import { maskPhone as maskImportPhone } from '../shared/imports/mask.ts';
import type { CommandContext } from './command.ts';
import type { TextSink } from './io.ts';
import { type Cell, type Column, renderTable } from './table.ts';

/*
 * How values look in the CLI's text output. Times stay in Beijing time, as byrobot's own console
 * shows them, so an operator can compare the two side by side.
 */

/** `2018-01-24T20:51:53+08:00` → `2018-01-24 20:51:53`; other offsets are shown as given. */
export function formatTime(iso: string | null | undefined): string | null {
  if (!iso) return null;
  return iso.endsWith('+08:00') ? iso.slice(0, 19).replace('T', ' ') : iso;
}

/** Seconds as `45s`, `1m05s`, `1h02m03s`. */
export function formatDuration(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined) return null;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h${two(m)}m${two(s)}s`;
  if (m > 0) return `${m}m${two(s)}s`;
  return `${s}s`;
}

/** An offset into a call recording, in milliseconds, as `mm:ss.t`. */
export function formatOffset(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '--:--.-';
  const tenths = Math.floor(ms / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = Math.floor((tenths % 600) / 10);
  return `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}.${tenths % 10}`;
}

export function formatCoded(value: Coded | null | undefined): string | null {
  return value ? value.label : null;
}

/** `running (1)`: the label for people, the code for filters such as `--status 1`. */
export function formatCodedWithCode(value: Coded | null | undefined): string | null {
  return value ? `${value.label} (${value.code})` : null;
}

export function formatBool(value: boolean | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return value ? 'yes' : 'no';
}

/** `3/10`, with `?` for a count byrobot left out (lists carry null counts). */
export function formatRatio(done: number | null, total: number | null): string {
  return `${done ?? '?'}/${total ?? '?'}`;
}

/** A normalised byrobot object without its `raw` original: the JSON output carries the normalised shape. */
export function withoutRaw<T extends { raw: unknown }>(value: T): Omit<T, 'raw'> {
  const { raw: _raw, ...rest } = value;
  return rest;
}

export function writeJson(sink: TextSink, value: unknown): void {
  sink.write(`${JSON.stringify(value, null, 2)}\n`);
}

type Output = Pick<CommandContext, 'io' | 'json'>;

/** A command's answer on stdout: `value` as JSON with `--json`, else `text`. */
export function writeAnswer(ctx: Output, value: unknown, text: string): void {
  if (ctx.json) writeJson(ctx.io.stdout, value);
  else ctx.io.stdout.write(text);
}

/** A list command's answer: the items' normalised shape as JSON with `--json`, else a table of them. */
export function writeList<T extends { raw: unknown }>(
  ctx: Output,
  items: readonly T[],
  columns: readonly Column[],
  row: (item: T) => readonly Cell[],
): void {
  if (ctx.json) writeJson(ctx.io.stdout, items.map(withoutRaw));
  else ctx.io.stdout.write(renderTable(columns, items.map(row)));
}

/** A text heading for a section of a `show` command. */
export function heading(title: string): string {
  return `\n${title}\n`;
}

/**
 * A customer's phone masked as the rest of the project masks it (`138****8000`): the same function
 * the import preparation and the logs use, so a masked number reads the same everywhere.
 */
export function maskPhone(phone: string | null): string | null {
  return phone === null ? null : maskImportPhone(phone);
}

/** A call or a customer with its customer's phone masked when `mask` (`--mask`) is set. */
export function maskCustomer<T extends { customer: { phone: string | null } }>(item: T, mask: boolean): T {
  return mask ? { ...item, customer: { ...item.customer, phone: maskPhone(item.customer.phone) } } : item;
}
