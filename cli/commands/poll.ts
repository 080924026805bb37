import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text as readText } from 'node:stream/consumers';
import { formatEventLine, type StoredEvent } from '../../dev/format-line.ts';
import type { PollRunReport } from '../../shared/poller/runtime.ts';
import { CliError, type CommandDef, EXIT, UsageError } from '../command.ts';
import { loadConfig } from '../config.ts';
import { writeJson } from '../format.ts';
import { DEFAULT_EVENTS_FILE } from './events.ts';

/**
 * `poll --once`: one cycle of the real poller (shared/poller/runtime.ts, as the Lambda and
 * `npm start` run it) against byrobot, a DynamoDB endpoint and a PutEvents endpoint, printing each
 * event it published and the cycle's report. For seeing what the poller makes of an account, and
 * for driving a local stack's state by hand.
 */

/** The local stack's table and bus (local/start.ts), so `poll --once` against it needs no TABLE_NAME. */
export const LOCAL_TABLE_NAME = 'byrobot-bridge-local';
const LOCAL_BUS_NAME = 'byrobot-bridge-local';

type Running = { close(): Promise<void> };

/**
 * A pass-through PutEvents endpoint in front of EVENTBRIDGE_ENDPOINT that reports each entry the
 * endpoint accepted. The runtime builds its own EventBridgeClient from an endpoint URL and offers no
 * publish hook, so listening on the wire is how this command learns what the cycle published without
 * changing the runtime. Only entries the endpoint answered with an EventId are reported; its answer,
 * failures and throttling included, goes back to the runtime unchanged so its resend logic is the
 * one under test. (No SigV4 is forwarded: EVENTBRIDGE_ENDPOINT is a local PutEvents endpoint.)
 */
async function startRecordingRelay(
  target: string,
  onAccepted: (event: StoredEvent) => void,
): Promise<Running & { endpoint: string }> {
  const server = createServer(async (req, res) => {
    const body = await readText(req);
    let upstream: Response;
    try {
      upstream = await fetch(new URL(req.url ?? '/', target), {
        method: req.method,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/x-amz-json-1.1',
          'x-amz-target': String(req.headers['x-amz-target'] ?? ''),
        },
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
      });
    } catch (error) {
      // A 5xx makes the SDK retry and then the publish fail: the snapshot is not committed and the
      // same events are published next cycle, as when EventBridge itself is down.
      res.writeHead(503, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: (error as Error).message }));
      return;
    }
    const text = await upstream.text();
    if (upstream.ok) recordAccepted(body, text, onAccepted);
    const headers: Record<string, string> = {
      'content-type': upstream.headers.get('content-type') ?? 'application/x-amz-json-1.1',
    };
    const errorType = upstream.headers.get('x-amzn-errortype');
    if (errorType) headers['x-amzn-errortype'] = errorType;
    res.writeHead(upstream.status, headers);
    res.end(text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Pairs a PutEvents request's entries with the answer's (same order, per the API) and reports the accepted ones. */
function recordAccepted(requestText: string, answerText: string, onAccepted: (event: StoredEvent) => void) {
  let request: { Entries?: Array<Record<string, unknown>> };
  let answer: { Entries?: Array<{ EventId?: string }> };
  try {
    request = JSON.parse(requestText);
    answer = JSON.parse(answerText);
  } catch {
    return;
  }
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  (request.Entries ?? []).forEach((entry, i) => {
    const id = answer.Entries?.[i]?.EventId;
    if (!id) return;
    let detail: Record<string, unknown> = {};
    try {
      detail = JSON.parse(String(entry.Detail)) as Record<string, unknown>;
    } catch {
      // the endpoint accepted it, so it was JSON; keep going regardless
    }
    onAccepted({
      version: '0',
      id,
      'detail-type': String(entry.DetailType),
      source: String(entry.Source),
      account: '000000000000',
      time,
      region: 'local',
      resources: (entry.Resources as string[] | undefined) ?? [],
      detail,
      'event-bus-name': String(entry.EventBusName ?? 'default'),
    });
  });
}

function parseCompanies(text: string | undefined): number[] | 'all' {
  if (text === undefined) return 'all';
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s) || Number(s) < 1))
    throw new UsageError(`--company takes company ids such as 1 or 1,2; got ${JSON.stringify(text)}`);
  return ids.map(Number);
}

/** The cycle's report as lines an operator reads top to bottom. */
function reportLines(report: PollRunReport): string[] {
  const lines: string[] = [];
  for (const c of report.companies) {
    if (c.outcome === 'lease-held') {
      lines.push(
        `company ${c.companyId}: skipped, another poller holds its lease (a running local stack?); try again in a few seconds`,
      );
      continue;
    }
    const events = Object.entries(c.events)
      .map(([type, n]) => `${type} ${n}`)
      .join(', ');
    lines.push(
      `company ${c.companyId}: ${c.outcome}, ${c.tasksListed} task(s) listed in ${c.pagesListed} page(s), ` +
        `${c.tasksChanged} changed, ${c.tasksCommitted} committed` +
        (c.tasksDeferred > 0 ? `, ${c.tasksDeferred} deferred to the next cycle` : '') +
        `; events: ${events || 'none'}`,
    );
    for (const f of c.failures) lines.push(`  failure: task ${f.taskId ?? '-'}: ${f.reason}`);
  }
  const requests = Object.entries(report.byrobotRequests)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ×${n}`)
    .join(', ');
  lines.push(`byrobot requests: ${requests || 'none'}`);
  const failures = report.companies.reduce((n, c) => n + c.failures.length, 0);
  lines.push(`cycle done in ${report.durationMs} ms, ${failures} failure(s)`);
  return lines;
}

export const pollCommand: CommandDef = {
  name: 'poll',
  summary: 'Run one poll cycle: byrobot → DynamoDB snapshots → events, and print them.',
  usage: 'poll --once [--memory] [--company <id,id>] [--backfill] [--json]',
  details:
    'Runs the real poller once, for every company the app key manages (or --company).\n' +
    'State: DYNAMODB_ENDPOINT (a running `npm start` prints its dynalite endpoint) and TABLE_NAME\n' +
    `(default ${LOCAL_TABLE_NAME}); or --memory for an in-process, empty DynamoDB: the first cycle\n` +
    'then only records baselines (add --backfill to announce the calls tasks already have). It never\n' +
    'talks to AWS DynamoDB: a snapshot committed there while the events went to a local bus would\n' +
    'hide those events from the deployed bridge.\n' +
    'Events: EVENTBRIDGE_ENDPOINT (the local stack prints it) or, when unset, an in-process local\n' +
    `bus appending to EVENTS_FILE (default ${DEFAULT_EVENTS_FILE}; with --memory only EVENTS_FILE, so\n` +
    "a fresh store never appends its re-announcements to a running stack's file). Each published event is printed as\n" +
    'one line, then the report: tasks listed, changed and committed, events and failures per company,\n' +
    'and the byrobot requests made. Exit 1 when a task or company failed.',
  options: {
    once: {
      type: 'boolean',
      description: 'run one cycle and exit (required; `npm start` polls continuously)',
    },
    memory: {
      type: 'boolean',
      description: 'use an in-process, empty DynamoDB instead of DYNAMODB_ENDPOINT',
    },
    company: { type: 'string', value: '<id,id>', description: 'only these companies (default: all)' },
    backfill: {
      type: 'boolean',
      description: 'announce the calls a task already has when it is first seen',
    },
  },
  examples: [
    'DYNAMODB_ENDPOINT=http://127.0.0.1:8000 EVENTBRIDGE_ENDPOINT=http://127.0.0.1:4011 poll --once',
    'poll --once --memory --backfill --company 1',
  ],
  async run(ctx, args) {
    const { io, json } = ctx;
    if (!args.flag('once'))
      throw new UsageError('poll runs one cycle only: pass --once (`npm start` polls continuously)');
    const companies = parseCompanies(args.string('company'));
    const memory = args.flag('memory');
    const env = io.env;
    const dynamoEndpoint = env.DYNAMODB_ENDPOINT?.trim() || undefined;
    if (!memory && !dynamoEndpoint) {
      throw new CliError(
        'set DYNAMODB_ENDPOINT to a local DynamoDB (`npm start` prints its dynalite endpoint) or pass --memory',
      );
    }
    const config = loadConfig(env);
    const tableName = env.TABLE_NAME?.trim() || LOCAL_TABLE_NAME;
    const closers: Array<() => Promise<void>> = [];
    const events: StoredEvent[] = [];
    const onEvent = (event: StoredEvent) => {
      events.push(event);
      if (!json) io.stdout.write(`${formatEventLine(event)}\n`);
    };
    // Loaded here, not at the top: every CLI run imports this module, and only `poll` needs the AWS
    // SDK and dynalite (a dev dependency).
    const [{ createPollerRuntime }, { createDocumentClient, ensureTable }, { startLocalBus }] =
      await Promise.all([
        import('../../shared/poller/runtime.ts'),
        import('../../shared/store/dynamo.ts'),
        import('../../dev/eventbus.ts'),
      ]);
    try {
      let endpoint: string;
      if (memory) {
        const { startDynalite } = await import('../../dev/dynamo.ts');
        if (dynamoEndpoint) io.stderr.write('note: --memory: DYNAMODB_ENDPOINT is not used\n');
        const dynamo = await startDynalite();
        closers.push(dynamo.close);
        endpoint = dynamo.endpoint;
        await ensureTable(createDocumentClient({ endpoint }), tableName);
      } else {
        endpoint = dynamoEndpoint as string;
        await checkTable(endpoint, tableName);
      }
      let eventBridgeEndpoint: string;
      const target = env.EVENTBRIDGE_ENDPOINT?.trim();
      if (target) {
        const relay = await startRecordingRelay(target, onEvent);
        closers.push(relay.close);
        eventBridgeEndpoint = relay.endpoint;
      } else {
        // --memory starts from empty state, so it announces again what a running stack already
        // did: it writes into an events file only when asked (EVENTS_FILE), never into the stack's.
        const eventsFile = env.EVENTS_FILE || (memory ? null : DEFAULT_EVENTS_FILE);
        if (eventsFile === null)
          io.stderr.write(
            `note: --memory: events are printed, not appended to ${DEFAULT_EVENTS_FILE} (set EVENTS_FILE to keep them)\n`,
          );
        const bus = await startLocalBus({ eventsFile, print: false, onEvent });
        closers.push(bus.close);
        eventBridgeEndpoint = bus.endpoint;
      }
      const runtime = createPollerRuntime({
        tableName,
        eventBusName: env.EVENT_BUS_NAME?.trim() || LOCAL_BUS_NAME,
        eventSource: env.EVENT_SOURCE?.trim() || 'byrobot.bridge',
        byrobotBaseUrl: config.baseUrl,
        credentials: async () => ({ appKey: config.appKey, appSecret: config.appSecret }),
        companies,
        backfill: args.flag('backfill'),
        maxInFlight: 4,
        dynamoEndpoint: endpoint,
        eventBridgeEndpoint,
      });
      const report = await runtime.run();
      const failed = report.companies.some((c) => c.outcome === 'listing-failed' || c.failures.length > 0);
      if (json) writeJson(io.stdout, { events, report });
      else io.stdout.write(`${reportLines(report).join('\n')}\n`);
      return failed ? EXIT.failure : EXIT.ok;
    } finally {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    }
  },
};

/** Fails with what to set when the table is not where DYNAMODB_ENDPOINT and TABLE_NAME say. */
async function checkTable(endpoint: string, tableName: string): Promise<void> {
  const [{ DescribeTableCommand }, { createDocumentClient }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../../shared/store/dynamo.ts'),
  ]);
  const doc = createDocumentClient({ endpoint });
  try {
    await doc.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException')
      throw new CliError(
        `no table ${tableName} at ${endpoint}; set TABLE_NAME (the local stack's is ${LOCAL_TABLE_NAME})`,
      );
    throw new CliError(`no DynamoDB answering at DYNAMODB_ENDPOINT=${endpoint}: ${(error as Error).message}`);
  } finally {
    doc.destroy();
  }
}
