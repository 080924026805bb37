import { type FileHandle, open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatEventLine, type StoredEvent } from '../../dev/format-line.ts';
import { type CommandDef, EXIT, UsageError } from '../command.ts';
import type { CliIo } from '../io.ts';

/**
 * `events tail`: the events the local stack published, from `.local/events.ndjson` (one EventBridge
 * entry per line, appended by dev/eventbus.ts), as the readable lines `npm start` prints.
 *
 * It polls the file's size instead of using fs.watch: fs.watch misses events on some file systems
 * (network mounts, Docker volumes) and reports nothing for a file that does not exist yet, while a
 * stat every 200 ms is cheap and sees creation, growth, truncation and replacement alike.
 */

export const DEFAULT_EVENTS_FILE = '.local/events.ndjson';

export interface TailOptions {
  file: string;
  /** Detail types to show (compared loosely, see typeKey); empty: all. */
  types: readonly string[];
  follow: boolean;
  /** How many existing events to show first. */
  lines: number;
  /** Print the stored lines as they are instead of formatting them. */
  json: boolean;
  /** Stops following; tailEvents then resolves. */
  signal?: AbortSignal;
  /** @default 200 */
  intervalMs?: number;
}

/** `Call Completed`, `call-completed` and `call completed` name the same detail type. */
export const typeKey = (type: string) => type.toLowerCase().replace(/[\s_-]+/g, '');

/** Reads the events file from `from` to its current end; the caller keeps the partial last line. */
async function readFrom(handle: FileHandle, from: number, to: number): Promise<Buffer> {
  const buffer = Buffer.alloc(to - from);
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, from + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/** Runs `work` with a signal that Ctrl-C (SIGINT, SIGTERM) aborts, so the command ends like any finished run. */
export async function untilInterrupted(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * Prints the last `lines` events of the file, then (with `follow`) each event appended to it until
 * the signal aborts. Lines are printed only once complete: the bus appends a whole line per event,
 * but a reader can catch it half-written.
 */
export async function tailEvents(io: CliIo, options: TailOptions): Promise<void> {
  const wanted = new Set(options.types.map(typeKey));
  const intervalMs = options.intervalMs ?? 200;
  // The file position already consumed (up to the end of the last complete line) and the file's
  // identity, so a replaced file (deleted and recreated) is read from its start.
  let position = 0;
  let inode: number | null = null;
  let pending = '';
  let decoder = new StringDecoder('utf8');
  let announcedMissing = false;

  const show = (line: string) => {
    if (line.trim() === '') return null;
    let event: StoredEvent;
    try {
      event = JSON.parse(line) as StoredEvent;
    } catch {
      io.stderr.write(`skipping a line that is not JSON: ${line.slice(0, 80)}\n`);
      return null;
    }
    if (wanted.size > 0 && !wanted.has(typeKey(String(event['detail-type'])))) return null;
    return options.json ? line : formatEventLine(event);
  };

  /** Reads what was appended since the last look; returns the complete lines. */
  const readNew = async (): Promise<string[]> => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(options.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (inode !== null) io.stderr.write(`${options.file} was removed; waiting for it to come back\n`);
      else if (!announcedMissing && options.follow)
        io.stderr.write(`waiting for ${options.file} (the local stack writes it with its first event)\n`);
      announcedMissing = true;
      inode = null;
      position = 0;
      pending = '';
      return [];
    }
    if ((inode !== null && info.ino !== inode) || info.size < position) {
      // Truncated (`: > .local/events.ndjson`) or replaced: start again from its beginning.
      if (inode !== null) io.stderr.write(`${options.file} was truncated; reading it from the start\n`);
      position = 0;
      pending = '';
      decoder = new StringDecoder('utf8');
    }
    inode = info.ino;
    if (info.size === position) return [];
    const handle = await open(options.file, 'r');
    let chunk: Buffer;
    try {
      chunk = await readFrom(handle, position, info.size);
    } finally {
      await handle.close();
    }
    position += chunk.length;
    // The decoder holds back a UTF-8 sequence cut by the read (Chinese names are 3 bytes a character).
    const text = pending + decoder.write(chunk);
    const parts = text.split('\n');
    pending = parts.pop() ?? '';
    return parts;
  };

  const first = (await readNew()).map(show).filter((l): l is string => l !== null);
  if (!options.follow && inode === null) {
    io.stderr.write(`no events yet: ${options.file} does not exist\n`);
    return;
  }
  for (const line of options.lines > 0 ? first.slice(-options.lines) : []) io.stdout.write(`${line}\n`);
  if (!options.follow) return;

  const { signal } = options;
  while (!signal?.aborted) {
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      break; // the signal aborted the wait
    }
    for (const line of await readNew()) {
      const shown = show(line);
      if (shown !== null) io.stdout.write(`${shown}\n`);
    }
  }
}

export const eventsTailCommand: CommandDef = {
  name: 'events tail',
  summary: 'Show the events the local stack published, and follow new ones.',
  usage: 'events tail [--type <detail-type>] [--lines n] [--no-follow] [--json]',
  details:
    'Reads EVENTS_FILE (default .local/events.ndjson), where the local bus appends every event it\n' +
    'accepts, and prints each as one line (phones masked), as `npm start` does. It waits for the\n' +
    'file when it does not exist yet, and starts again from the top when the file is truncated or\n' +
    'replaced. --json prints the stored lines unchanged (one EventBridge event per line). Ctrl-C stops.',
  options: {
    type: {
      type: 'string',
      value: '<types>',
      description:
        'only these detail types, comma-separated: "Call Completed,Task Completed" (case and -/_ ignored)',
    },
    lines: {
      type: 'string',
      short: 'n',
      value: '<n>',
      description: 'how many existing events to show first (default 10; 0: only new ones)',
    },
    follow: { type: 'boolean', short: 'f', description: 'keep printing new events (the default)' },
    'no-follow': { type: 'boolean', description: 'print the existing events and exit' },
  },
  examples: [
    'events tail',
    'events tail --type "Call Completed" --lines 50',
    'events tail --no-follow --json --lines 100 > events.ndjson',
  ],
  async run(ctx, args) {
    const { io, json } = ctx;
    if (args.flag('follow') && args.flag('no-follow'))
      throw new UsageError('--follow and --no-follow contradict each other');
    const types = (args.string('type') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const lines = args.int('lines', { min: 0 }) ?? 10;
    await untilInterrupted((signal) =>
      tailEvents(io, {
        file: io.env.EVENTS_FILE || DEFAULT_EVENTS_FILE,
        types,
        follow: !args.flag('no-follow'),
        lines,
        json,
        signal,
      }),
    );
    return EXIT.ok;
  },
};
