import { randomUUID } from 'node:crypto';
import { DescribeArchiveCommand, EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_CATALOGUE } from '../../dev/event-catalogue.ts';
import type { StoredEvent } from '../../dev/format-line.ts';
import { type BusEvent, sendOnce } from '../../shared/delivery/send.ts';
import type { BridgeEvent, DetailType } from '../../shared/events/builders.ts';
import { busPublisher } from '../../shared/events/bus-client.ts';
import { toBeijingIso } from '../../shared/time.ts';
import { CliError, type CommandDef, EXIT, readTextFile, UsageError } from '../command.ts';
import { writeAnswer } from '../format.ts';
import type { CliIo } from '../io.ts';
import { DEFAULT_EVENTS_FILE, tailEvents, typeKey, untilInterrupted } from './events.ts';

/**
 * `events trigger|forward|replay`: try a rule or a destination at once. Each publishes on the local
 * bus (EVENTBRIDGE_ENDPOINT, which `npm start` prints) or, with `--stage`, on that stage's bus
 * (AWS credentials from the environment, as the AWS CLI reads them).
 */

function target(io: CliIo, stage: string | undefined) {
  if (stage) return { eventBusName: `byrobot-bridge-${stage}`, endpoint: undefined };
  const endpoint = io.env.EVENTBRIDGE_ENDPOINT;
  if (!endpoint)
    throw new UsageError(
      'set EVENTBRIDGE_ENDPOINT to the local bus (npm start prints "EventBridge: http://127.0.0.1:…"), or pass --stage <name>',
    );
  return { eventBusName: 'byrobot-bridge-local', endpoint };
}

async function publish(io: CliIo, stage: string | undefined, events: BridgeEvent[], source: string) {
  const result = await busPublisher({ ...target(io, stage), source })(events);
  if (result.failed.length > 0)
    throw new CliError(
      `not published: ${result.failed.map((f) => `${f.eventId} (${f.errorCode})`).join(', ')}`,
    );
  return result;
}

export const eventsTriggerCommand: CommandDef = {
  name: 'events trigger',
  summary: "Publish the catalogue's example of a detail type, with fresh ids, to try a rule or destination.",
  usage: 'events trigger <detail-type> [--stage <name>] [--source byrobot.bridge]',
  positionals: [{ name: 'detail-type', description: '"Call Completed", call-completed, … (docs/events.md)' }],
  options: {
    stage: {
      type: 'string',
      value: '<name>',
      description: "that stage's bus on AWS instead of the local one",
    },
    source: { type: 'string', value: '<source>', description: 'the event source (default byrobot.bridge)' },
  },
  examples: ['events trigger "Call Completed"', 'events trigger task-completed --stage dev'],
  async run(ctx, args) {
    const wanted = args.positional(0, 'detail-type');
    const entry = EVENT_CATALOGUE.find((e) => typeKey(e.detailType) === typeKey(wanted));
    if (!entry)
      throw new UsageError(
        `no detail type "${wanted}"; one of ${EVENT_CATALOGUE.map((e) => e.detailType).join(', ')}`,
      );
    const eventId = randomUUID();
    const detail = { ...entry.example, eventId, detectedAt: toBeijingIso(Date.now()) } as { eventId: string };
    await publish(
      ctx.io,
      args.string('stage'),
      [{ detailType: entry.detailType as DetailType, detail }],
      args.string('source') ?? 'byrobot.bridge',
    );
    writeAnswer(ctx, { detailType: entry.detailType, eventId }, `published ${entry.detailType} ${eventId}\n`);
    return EXIT.ok;
  },
};

/** The events of the local events file whose `time` lies in [from, to]. */
export async function eventsBetween(file: string, from: Date, to: Date): Promise<StoredEvent[]> {
  return (await readTextFile(file))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as StoredEvent)
    .filter((e) => {
      const t = Date.parse(e.time);
      return t >= from.getTime() && t <= to.getTime();
    });
}

export const eventsReplayCommand: CommandDef = {
  name: 'events replay',
  summary:
    'Publish again the events of a time range: the local events file, or the stage archive (StartReplay).',
  usage: 'events replay --from <iso time> --to <iso time> [--stage <name>]',
  details:
    'Locally the events of EVENTS_FILE (default .local/events.ndjson) whose time lies in the range are\n' +
    'published again to EVENTBRIDGE_ENDPOINT with their detail (and so their eventId and webhook-id)\n' +
    "unchanged. With --stage, EventBridge replays the range from the stage's archive to its bus.",
  options: {
    from: { type: 'string', value: '<time>', description: 'start, ISO 8601 (2026-11-25T05:00:00Z)' },
    to: { type: 'string', value: '<time>', description: 'end, ISO 8601' },
    stage: { type: 'string', value: '<name>', description: "replay from that stage's archive on AWS" },
  },
  async run(ctx, args) {
    const from = new Date(args.string('from') ?? '');
    const to = new Date(args.string('to') ?? '');
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from > to)
      throw new UsageError('--from and --to must be ISO 8601 times, --from before --to');
    const stage = args.string('stage');
    if (stage) {
      const client = new EventBridgeClient({});
      const name = `byrobot-bridge-${stage}`;
      const archive = await client.send(new DescribeArchiveCommand({ ArchiveName: name }));
      const replayName = `${name}-${Date.now()}`;
      await client.send(
        new StartReplayCommand({
          ReplayName: replayName,
          EventSourceArn: archive.EventSourceArn,
          EventStartTime: from,
          EventEndTime: to,
          Destination: { Arn: archive.EventSourceArn },
        }),
      );
      ctx.io.stdout.write(`started replay ${replayName} of ${name}'s archive\n`);
      return EXIT.ok;
    }
    const events = await eventsBetween(ctx.io.env.EVENTS_FILE || DEFAULT_EVENTS_FILE, from, to);
    const bySource = new Map<string, BridgeEvent[]>();
    for (const e of events) {
      const list = bySource.get(e.source) ?? [];
      list.push({ detailType: e['detail-type'] as DetailType, detail: e.detail as { eventId: string } });
      bySource.set(e.source, list);
    }
    for (const [source, list] of bySource) await publish(ctx.io, undefined, list, source);
    writeAnswer(ctx, { replayed: events.length }, `published ${events.length} events again\n`);
    return EXIT.ok;
  },
};

export const eventsForwardCommand: CommandDef = {
  name: 'events forward',
  summary: "Forward the local bus's events, signed (Standard Webhooks), to a local URL.",
  usage: 'events forward --to <url> [--secret whsec_…]',
  details:
    'Like `stripe listen --forward-to`: each event the local stack appends to EVENTS_FILE is POSTed\n' +
    'to the URL as the webhook destination would post it: the full event, webhook-id = its eventId,\n' +
    'signed with --secret (or LOCAL_WEBHOOK_SECRET). Ctrl-C stops.',
  options: {
    to: { type: 'string', value: '<url>', description: 'where to POST (http:// on loopback, or https://)' },
    secret: {
      type: 'string',
      value: '<whsec_…>',
      description: 'the signing secret (default LOCAL_WEBHOOK_SECRET)',
    },
  },
  async run(ctx, args) {
    const to = args.string('to');
    if (!to) throw new UsageError('--to <url> is required');
    const secret = args.string('secret') ?? ctx.io.env.LOCAL_WEBHOOK_SECRET;
    if (!secret?.startsWith('whsec_'))
      throw new UsageError('--secret (or LOCAL_WEBHOOK_SECRET) must be a whsec_… secret');
    let chain = Promise.resolve();
    const forward = (line: string) => {
      const event = JSON.parse(line) as BusEvent;
      chain = chain.then(async () => {
        const r = await sendOnce('webhook', { webhookUrl: to, secrets: [secret] }, event, 1);
        ctx.io.stdout.write(
          `${event['detail-type']} ${event.detail.eventId ?? event.id} → HTTP ${r.statusCode ?? r.response} (${r.latencyMs} ms)\n`,
        );
      });
    };
    await untilInterrupted(async (signal) => {
      await tailEvents(
        {
          ...ctx.io,
          stdout: { write: (chunk: string) => chunk.split('\n').filter(Boolean).forEach(forward) },
        },
        {
          file: ctx.io.env.EVENTS_FILE || DEFAULT_EVENTS_FILE,
          types: [],
          follow: true,
          lines: 0,
          json: true,
          signal,
        },
      );
      await chain;
    });
    return EXIT.ok;
  },
};
