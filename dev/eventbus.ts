import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { text as readText } from 'node:stream/consumers';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MAX_ENTRIES_PER_CALL, MAX_ENTRY_BYTES, putEventsEntrySize } from '../shared/events/entry-size.ts';
import { formatEventLine, type StoredEvent } from './format-line.ts';
import { listen } from './listen.ts';

export type { StoredEvent } from './format-line.ts';
export { formatEventLine } from './format-line.ts';

export interface LocalBusOptions {
  /** 0 = a random free port. @default 0 */
  port?: number;
  host?: string;
  /** Each accepted event is appended here as one JSON line; null: nowhere. @default EVENTS_FILE or .local/events.ndjson */
  eventsFile?: string | null;
  /** Print each event as one readable line. @default false */
  print?: boolean;
  onEvent?: (event: StoredEvent) => void;
  /**
   * Called once per PutEvents call with the entries it accepted, after they are stored and answered
   * for: what a rule on AWS sees. A subscriber (the local notification rules) runs after the
   * publisher has its answer, so a slow Slack never slows the poller. Not called when none was accepted.
   */
  onEvents?: (events: StoredEvent[]) => void;
}

export interface BusFaults {
  /** The next N entries fail with InternalFailure; the rest of their call succeeds. */
  failEntries?: number;
  /** The next N calls are refused whole with ThrottlingException (HTTP 400). */
  throttleCalls?: number;
  /** The next N calls fail with HTTP 500 InternalException. */
  internalErrors?: number;
}

export interface LocalBus {
  events: StoredEvent[];
  stats: { calls: number; entries: number; failedEntries: number; throttled: number };
  injectFaults(faults: BusFaults): void;
  clearFaults(): void;
  clear(): void;
}

/** The SDK's EventBridgeClient for a local bus: local credentials, one attempt unless told otherwise. */
export function localBusClient(endpoint: string, maxAttempts = 1): EventBridgeClient {
  return new EventBridgeClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
  });
}

/**
 * A local EventBridge endpoint speaking the PutEvents wire protocol (AWS JSON 1.1, target
 * AWSEvents.PutEvents), so the real EventBridgeClient publishes to it unchanged. It can fail entries
 * or whole calls on demand, to test the publisher's resend logic.
 */
export async function startLocalBus(options: LocalBusOptions = {}) {
  const eventsFile =
    options.eventsFile === undefined
      ? (process.env.EVENTS_FILE ?? '.local/events.ndjson')
      : options.eventsFile;
  if (eventsFile) mkdirSync(dirname(eventsFile), { recursive: true });
  let faults: Required<BusFaults> = { failEntries: 0, throttleCalls: 0, internalErrors: 0 };
  const bus: LocalBus = {
    events: [],
    stats: { calls: 0, entries: 0, failedEntries: 0, throttled: 0 },
    injectFaults: (f) => {
      faults = {
        failEntries: f.failEntries ?? 0,
        throttleCalls: f.throttleCalls ?? 0,
        internalErrors: f.internalErrors ?? 0,
      };
    },
    clearFaults: () => bus.injectFaults({}),
    clear: () => {
      bus.events.length = 0;
    },
  };

  const server = createServer(async (req, res) => {
    const text = await readText(req);
    const url = new URL(req.url ?? '/', 'http://bus');
    if (url.pathname === '/__bus/events') {
      if (req.method === 'DELETE') bus.clear();
      return json(res, 200, { events: bus.events });
    }
    if (url.pathname === '/__bus/faults') {
      if (req.method === 'DELETE') bus.clearFaults();
      else bus.injectFaults(JSON.parse(text || '{}') as BusFaults);
      return json(res, 200, faults);
    }
    const target = req.headers['x-amz-target'];
    if (target !== 'AWSEvents.PutEvents') {
      return awsError(
        res,
        400,
        'UnknownOperationException',
        `operation ${String(target)} is not supported by the local bus`,
      );
    }
    bus.stats.calls++;
    if (faults.throttleCalls > 0) {
      faults.throttleCalls--;
      bus.stats.throttled++;
      return awsError(res, 400, 'ThrottlingException', 'Rate exceeded');
    }
    if (faults.internalErrors > 0) {
      faults.internalErrors--;
      return awsError(res, 500, 'InternalException', 'An internal error occurred');
    }
    let body: { Entries?: Array<Record<string, unknown>> };
    try {
      body = JSON.parse(text);
    } catch {
      return awsError(res, 400, 'SerializationException', 'request body is not JSON');
    }
    const entries = body.Entries ?? [];
    if (entries.length === 0 || entries.length > MAX_ENTRIES_PER_CALL) {
      return awsError(
        res,
        400,
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES_PER_CALL}`,
      );
    }
    const accepted: StoredEvent[] = [];
    const results = entries.map((entry) => {
      bus.stats.entries++;
      const result = accept(entry, accepted);
      if ('ErrorCode' in result) bus.stats.failedEntries++;
      return result;
    });
    json(res, 200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
    if (accepted.length > 0) {
      try {
        options.onEvents?.(accepted);
      } catch (error) {
        // A subscriber's bug must not take the bus (and with it the poller's publishing) down.
        console.error(`local bus: event subscriber failed: ${(error as Error).message}`);
      }
    }
  });

  function accept(
    entry: Record<string, unknown>,
    accepted: StoredEvent[],
  ): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const { Source, DetailType, Detail, Resources, Time, EventBusName } = entry as {
      Source?: string;
      DetailType?: string;
      Detail?: string;
      Resources?: string[];
      Time?: number;
      EventBusName?: string;
    };
    if (!Source || !DetailType || !Detail) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
      };
    }
    if (
      putEventsEntrySize({ Source, DetailType, Detail, Resources, Time: Time as never }) > MAX_ENTRY_BYTES
    ) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Total size of the entries in the request is over the limit.`,
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
    }
    if (faults.failEntries > 0) {
      faults.failEntries--;
      return { ErrorCode: 'InternalFailure', ErrorMessage: 'injected failure' };
    }
    const event: StoredEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': DetailType,
      source: Source,
      account: '000000000000',
      time: new Date(Time ? Number(Time) * 1000 : Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'local',
      resources: Resources ?? [],
      detail: detail as Record<string, unknown>,
      'event-bus-name': EventBusName ?? 'default',
    };
    bus.events.push(event);
    accepted.push(event);
    if (eventsFile) appendFileSync(eventsFile, `${JSON.stringify(event)}\n`);
    if (options.print) console.log(formatEventLine(event));
    options.onEvent?.(event);
    return { EventId: event.id };
  }

  const { url, port, close } = await listen(server, options);
  return { endpoint: url, port, bus, close };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

function awsError(res: ServerResponse, status: number, type: string, message: string) {
  json(res, status, { __type: type, message });
}
