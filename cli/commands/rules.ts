import { readFile } from 'node:fs/promises';
import {
  type EventPattern,
  EventPatternError,
  explainMatch,
  type Mismatch,
  validatePattern,
} from '../../dev/event-pattern.ts';
import { formatEventLine, type StoredEvent } from '../../dev/format-line.ts';
import { CliError, type CommandDef, UsageError } from '../command.ts';
import { writeJson } from '../format.ts';
import { DEFAULT_EVENTS_FILE } from './events.ts';

/** An event that fails on this many fields or fewer is worth explaining; more is just another event. */
const NEAR_MISS_FIELDS = 2;

export const rulesTestCommand: CommandDef = {
  name: 'rules test',
  summary:
    'Test an EventBridge event pattern against recorded events: which match, and why near misses do not.',
  usage: 'rules test <pattern.json> [--events <file>] [--limit <n>] [--json]',
  details:
    "Evaluates the pattern with EventBridge's semantics (dev/event-pattern.ts) against every event\n" +
    `the local stack recorded (--events, else EVENTS_FILE, else ${DEFAULT_EVENTS_FILE}). A near miss is\n` +
    `an event that fails on ${NEAR_MISS_FIELDS} fields or fewer; each failing field is named with the reason.\n` +
    "The pattern is tested as written: on AWS a notification rule also gets the bridge's `source`.\n" +
    'A pattern EventBridge would refuse is a usage error (exit 64) with the reason.',
  positionals: [{ name: 'pattern.json', description: 'a file holding one event pattern (JSON object)' }],
  options: {
    events: {
      type: 'string',
      value: '<file>',
      description: `recorded events, one JSON per line (EVENTS_FILE, ${DEFAULT_EVENTS_FILE})`,
    },
    limit: {
      type: 'string',
      value: '<n>',
      description: 'list at most n matches and n near misses in text output (20; 0: all)',
    },
  },
  examples: [
    `echo '{"detail-type":["Call Completed"],"detail":{"intentLevel":["A","B"]}}' > hot-leads.json`,
    `rules test hot-leads.json`,
    `rules test hot-leads.json --events .local/events.ndjson --json`,
  ],
  async run(ctx, args) {
    const { io, json } = ctx;
    const patternPath = args.positional(0, 'pattern.json');
    const limit = args.int('limit', { min: 0 }) ?? 20;
    const eventsPath = args.string('events') ?? (io.env.EVENTS_FILE || DEFAULT_EVENTS_FILE);
    const pattern = await readPattern(patternPath);
    const { events, skipped } = await readEvents(eventsPath);
    if (skipped.length > 0)
      io.stderr.write(
        `warning: skipped ${skipped.length} line(s) of ${eventsPath} that are not JSON events (line ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''})\n`,
      );

    const matches: StoredEvent[] = [];
    const nearMisses: Array<{ event: StoredEvent; mismatches: Mismatch[] }> = [];
    for (const event of events) {
      const { matched, mismatches } = explainMatch(pattern, event);
      if (matched) matches.push(event);
      else if (mismatches.length <= NEAR_MISS_FIELDS) nearMisses.push({ event, mismatches });
    }
    const others = events.length - matches.length - nearMisses.length;

    if (json) {
      writeJson(io.stdout, {
        pattern,
        eventsFile: eventsPath,
        total: events.length,
        matched: matches.map(summary),
        nearMisses: nearMisses.map(({ event, mismatches }) => ({ ...summary(event), mismatches })),
        others,
      });
      return 0;
    }

    const out = (line = '') => io.stdout.write(`${line}\n`);
    out(
      `${patternPath} against ${events.length} event(s) in ${eventsPath}: ${matches.length} match, ${nearMisses.length} near miss(es), ${others} other(s)`,
    );
    const shown = <T>(list: T[]) => (limit === 0 ? list : list.slice(0, limit));
    const more = (list: unknown[]) => {
      if (limit !== 0 && list.length > limit)
        out(`  … and ${list.length - limit} more (--limit 0 lists all)`);
    };
    if (matches.length > 0) {
      out();
      out('Matches:');
      for (const event of shown(matches)) out(`  ${formatEventLine(event)}`);
      more(matches);
    }
    if (nearMisses.length > 0) {
      out();
      out(`Near misses (${NEAR_MISS_FIELDS} fields off or fewer):`);
      for (const { event, mismatches } of shown(nearMisses)) {
        out(`  ${formatEventLine(event)}`);
        for (const m of mismatches) out(`    ${m.path}: ${m.reason}`);
      }
      more(nearMisses);
    }
    return 0;
  },
};

/** What JSON output says per event: enough to find it in the events file; the file has the rest. */
function summary(event: StoredEvent) {
  return {
    id: event.id,
    time: event.time,
    source: event.source,
    'detail-type': event['detail-type'],
    eventId: event.detail?.eventId,
  };
}

async function readPattern(path: string): Promise<EventPattern> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
  try {
    validatePattern(pattern);
  } catch (error) {
    if (error instanceof EventPatternError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
  return pattern;
}

async function readEvents(path: string): Promise<{ events: StoredEvent[]; skipped: number[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `no recorded events at ${path}: \`npm start\` records every event there, or pass --events <file> (or set EVENTS_FILE)`
        : `cannot read ${path}: ${code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  const events: StoredEvent[] = [];
  const skipped: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const value = JSON.parse(line) as StoredEvent;
      const ok =
        value &&
        typeof value === 'object' &&
        typeof value['detail-type'] === 'string' &&
        typeof value.detail === 'object';
      if (ok && value.detail !== null) events.push(value);
      else skipped.push(i + 1);
    } catch {
      skipped.push(i + 1);
    }
  });
  return { events, skipped };
}
