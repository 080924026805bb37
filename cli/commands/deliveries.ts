import type { AttemptRecord } from '../../shared/delivery/log-store.ts';
import { CliError, type CommandDef, EXIT, UsageError } from '../command.ts';
import { writeAnswer } from '../format.ts';
import type { CliIo } from '../io.ts';

/**
 * `deliveries list|show|replay|resume`: the delivery log and its two operator actions, through the
 * bridge's own HTTP API (GET /deliveries, POST /deliveries/replay, POST /destinations/{name}/resume),
 * so the same commands work against `npm start` and a deployed stage. BRIDGE_API_URL (default the
 * local stack, http://127.0.0.1:3000) and BRIDGE_API_KEY (default local-dev-key).
 */
async function api(io: CliIo, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const base = (io.env.BRIDGE_API_URL || `http://127.0.0.1:${io.env.PORT || 3000}`).replace(/\/$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${io.env.BRIDGE_API_KEY || io.env.LOCAL_API_KEY || 'local-dev-key'}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new CliError(`no answer from ${base} (is npm start running, or BRIDGE_API_URL set?): ${cause}`);
  }
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) throw new CliError(`${method} ${path}: HTTP ${res.status}: ${String(parsed.detail ?? text)}`);
  return parsed;
}

interface Delivery {
  destination: string;
  status: string;
  attempts: AttemptRecord[];
  detailType: string;
}

export const deliveriesListCommand: CommandDef = {
  name: 'deliveries list',
  summary: "A day's deliveries (event, destination, detail type), newest first.",
  usage: 'deliveries list [--date YYYY-MM-DD] [--limit n]',
  options: {
    date: {
      type: 'string',
      value: '<YYYY-MM-DD>',
      description: 'the day (UTC) of the first attempt; default today',
    },
    limit: { type: 'string', value: '<n>', description: 'at most n (1-500, default 100)' },
  },
  async run(ctx, args) {
    const limit = args.int('limit', { min: 1 });
    const date = args.string('date');
    if (date && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError('--date is YYYY-MM-DD');
    const q = new URLSearchParams({ ...(date ? { date } : {}), ...(limit ? { limit: String(limit) } : {}) });
    const out = (await api(ctx.io, 'GET', `/deliveries${q.size ? `?${q}` : ''}`)) as {
      deliveries: { eventId: string; destination: string; detailType: string }[];
    };
    const lines = out.deliveries.map((d) => `${d.eventId}  ${d.destination.padEnd(32)}  ${d.detailType}\n`);
    writeAnswer(ctx, out, lines.join(''));
    return EXIT.ok;
  },
};

export const deliveriesShowCommand: CommandDef = {
  name: 'deliveries show',
  summary: "One event's deliveries: each destination's status and every attempt.",
  usage: 'deliveries show <eventId>',
  positionals: [{ name: 'eventId', description: 'the event’s detail.eventId (webhook-id)' }],
  options: {},
  async run(ctx, args) {
    const eventId = args.positional(0, 'eventId');
    const out = (await api(ctx.io, 'GET', `/deliveries?eventId=${encodeURIComponent(eventId)}`)) as {
      deliveries: Delivery[];
    };
    const lines = out.deliveries.flatMap((d) => [
      `${d.destination}: ${d.status} (${d.attempts.length} attempts) ${d.detailType}\n`,
      ...d.attempts.map(
        (a) =>
          `  #${a.attempt} ${a.at} ${a.ok ? 'ok  ' : 'FAIL'} HTTP ${a.statusCode ?? '-'} code ${a.vendorCode ?? '-'} ${a.latencyMs} ms${a.replay ? ' (replay)' : ''}  ${a.response.slice(0, 80)}\n`,
      ),
    ]);
    writeAnswer(ctx, out, lines.join(''));
    return EXIT.ok;
  },
};

export const deliveriesReplayCommand: CommandDef = {
  name: 'deliveries replay',
  summary: 'Deliver a logged event again, with the same webhook-id.',
  usage: 'deliveries replay <eventId> [--destination <name>]',
  positionals: [{ name: 'eventId', description: 'the event’s detail.eventId' }],
  options: {
    destination: {
      type: 'string',
      value: '<name>',
      description: 'only this destination (default: every one it went to)',
    },
  },
  async run(ctx, args) {
    const eventId = args.positional(0, 'eventId');
    const destination = args.string('destination');
    const out = (await api(ctx.io, 'POST', '/deliveries/replay', {
      eventId,
      ...(destination ? { destination } : {}),
    })) as {
      replayed: string[];
    };
    writeAnswer(ctx, out, `queued ${eventId} again for ${out.replayed.join(', ')}\n`);
    return EXIT.ok;
  },
};

export const deliveriesResumeCommand: CommandDef = {
  name: 'deliveries resume',
  summary: 'Unpause a destination and redrive its dead-letter queue.',
  usage: 'deliveries resume <destination>',
  positionals: [{ name: 'destination', description: '<rule>-<kind>, e.g. hot-leads-chat-dingtalk' }],
  options: {},
  async run(ctx, args) {
    const destination = args.positional(0, 'destination');
    const out = (await api(
      ctx.io,
      'POST',
      `/destinations/${encodeURIComponent(destination)}/resume`,
      {},
    )) as {
      redriven: number | null;
    };
    writeAnswer(ctx, out, `resumed ${destination}; ${out.redriven ?? 'its'} dead letters redriven\n`);
    return EXIT.ok;
  },
};
