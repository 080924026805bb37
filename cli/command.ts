import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ByrobotClient } from '../shared/byrobot/index.ts';
import type { CliIo } from './io.ts';

/**
 * What every command is made of: a declaration (name, usage, options) that the help text and the
 * argument parser both read, so the two never disagree, and a `run` that gets checked arguments
 * and a client created on first use (after the command has checked its arguments).
 */

export const PROGRAM = 'byrobot-bridge';

/** Exit codes. 64 and 78 follow BSD sysexits, which scripts and supervisors already know. */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** `customers import`: some rows were invalid or refused; the valid ones were imported. */
  partial: 2,
  usage: 64,
  config: 78,
} as const;

export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in help after the option: `--company <id>`. */
  value?: string;
  description: string;
}

export interface PositionalDef {
  name: string;
  description: string;
}

export interface CommandContext {
  io: CliIo;
  /** `--json`: print one JSON document on stdout instead of text. */
  json: boolean;
  /**
   * Created on first access, which reads the configuration (a ConfigError when it is missing): read
   * it only after checking the arguments, so a typo is reported as a usage error first.
   */
  readonly client: ByrobotClient;
}

export interface CommandDef {
  /** `tasks list` */
  name: string;
  summary: string;
  /** Everything after the program name, e.g. `tasks show <taskId> --company <id>`. */
  usage: string;
  /** Further paragraphs for `--help`. */
  details?: string;
  positionals?: PositionalDef[];
  options: Record<string, OptionDef>;
  examples?: string[];
  run(ctx: CommandContext, args: Args): Promise<number>;
}

/** Bad arguments: the CLI prints the command's usage and exits 64. */
export class UsageError extends Error {
  /** The command whose usage to print; unset means the top-level usage. */
  command: CommandDef | undefined;
  constructor(message: string, command?: CommandDef) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** A failure the CLI explains in its own words (a file it cannot read, a robot that does not exist): exit 1. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A file's text (UTF-8), or a CliError that names the file and why it cannot be read. */
export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Options every command takes. */
export const COMMON_OPTIONS: Record<string, OptionDef> = {
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout instead of text' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const DIGITS = /^\d+$/;

/** Parsed, not yet checked arguments, with accessors that check and throw UsageError. */
export class Args {
  readonly #values: Record<string, string | boolean | undefined>;
  readonly #positionals: string[];

  constructor(values: Record<string, string | boolean | undefined>, positionals: string[]) {
    this.#values = values;
    this.#positionals = positionals;
  }

  flag(name: string): boolean {
    return this.#values[name] === true;
  }

  string(name: string): string | undefined {
    const value = this.#values[name];
    return typeof value === 'string' ? value : undefined;
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
    return value;
  }

  /** A whole number option within [min, max]; undefined when absent. */
  int(name: string, range: { min?: number; max?: number } = {}): number | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : parseWhole(value, `--${name}`, range);
  }

  /** A positive id option that must be given (`--company`). */
  id(name: string): number {
    return parseWhole(this.requiredString(name), `--${name}`, { min: 1 });
  }

  positional(index: number, name: string): string {
    const value = this.#positionals[index];
    if (value === undefined || value === '') throw new UsageError(`missing <${name}>`);
    return value;
  }

  positionalId(index: number, name: string): number {
    return parseWhole(this.positional(index, name), `<${name}>`, { min: 1 });
  }
}

export function parseWhole(text: string, what: string, range: { min?: number; max?: number } = {}): number {
  const trimmed = text.trim();
  const value = DIGITS.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value))
    throw new UsageError(`${what} must be a whole number, got ${JSON.stringify(text)}`);
  if (range.min !== undefined && value < range.min)
    throw new UsageError(`${what} must be at least ${range.min}`);
  if (range.max !== undefined && value > range.max)
    throw new UsageError(`${what} must be at most ${range.max}`);
  return value;
}

/** `1`, `running`, `paused-by-user` → the code of one of `labels`; `what` opens the error (`--status must be a code`). */
export function parseCode(text: string, labels: Readonly<Record<number, string>>, what: string): number {
  const trimmed = text.trim();
  if (DIGITS.test(trimmed)) return Number(trimmed);
  const wanted = trimmed.toLowerCase().replace(/[-_]+/g, ' ');
  const entries = Object.entries(labels);
  const found = entries.find(([, label]) => label.toLowerCase() === wanted);
  if (found) return Number(found[0]);
  const known = entries.map(([code, label]) => `${code} ${label}`).join(', ');
  throw new UsageError(`${what} or label (${known}), got ${JSON.stringify(text)}`);
}

/** The items of a listing that `keep` accepts, up to `limit` (`--limit`): no further page is asked for. */
export async function take<T>(
  items: AsyncIterable<T>,
  limit: number | undefined,
  keep: (item: T) => boolean = () => true,
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    if (!keep(item)) continue;
    out.push(item);
    if (out.length === limit) break;
  }
  return out;
}

/** Parses a command's arguments with node:util parseArgs, strictly: an unknown option is a usage error. */
export function parseCommandArgs(
  def: CommandDef,
  argv: string[],
): { args: Args; help: boolean; json: boolean } {
  const all = { ...def.options, ...COMMON_OPTIONS };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, option] of Object.entries(all)) {
    options[name] = option.short ? { type: option.type, short: option.short } : { type: option.type };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error), def);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const help = values.help === true;
  const expected = def.positionals?.length ?? 0;
  if (!help && parsed.positionals.length > expected) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[expected])}`, def);
  }
  return { args: new Args(values, parsed.positionals), help, json: values.json === true };
}

/** parseArgs' messages end in a hint for programmers (`To specify a positional argument…`); keep the first sentence. */
function parseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split(/\.\s/)[0] ?? message;
  return first.replace(/^Option '(-\w), (--[\w-]+)/, "Option '$2").replace(/\.$/, '');
}

/** The `--help` text of a command, generated from its declaration. */
export function commandHelp(def: CommandDef): string {
  const lines = [`Usage: ${PROGRAM} ${def.usage}`, '', def.summary];
  if (def.details) lines.push('', def.details);
  if (def.positionals?.length) {
    lines.push('', 'Arguments:');
    const width = Math.max(...def.positionals.map((p) => p.name.length + 2));
    for (const p of def.positionals) lines.push(`  ${`<${p.name}>`.padEnd(width)}  ${p.description}`);
  }
  const all = { ...def.options, ...COMMON_OPTIONS };
  const flags = Object.entries(all).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '';
    return [`${short}--${name}${o.value ? ` ${o.value}` : ''}`, o.description] as const;
  });
  const width = Math.max(...flags.map(([f]) => f.length));
  lines.push('', 'Options:');
  for (const [f, d] of flags) lines.push(`  ${f.padEnd(width)}  ${d}`);
  if (def.examples?.length) {
    lines.push('', 'Examples:');
    for (const e of def.examples) lines.push(`  ${e}`);
  }
  return `${lines.join('\n')}\n`;
}
