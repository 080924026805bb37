// npm start: the whole bridge on one machine — byrobot simulator (or a real byrobot), dynalite, the
// local EventBridge, the HTTP API with the real handlers, the import queue and the poller on a timer.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDynalite } from '../dev/dynamo.ts';
import { startLocalBus } from '../dev/eventbus.ts';
import { createApiDeps } from '../shared/api/deps.ts';
import { sweepStuckImports } from '../shared/api/imports.ts';
import { INTENT_RESULT_NAME } from '../shared/byrobot/enums.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { LOCAL_CALLBACK_TOKEN } from '../shared/callbacks/token.ts';
import { type ApiConfig, readCallbackConfig } from '../shared/config/api.ts';
import { DeliveryLog } from '../shared/delivery/log-store.ts';
import { busPublisher } from '../shared/events/bus-client.ts';
import { NOTIFICATION_RULES } from '../shared/notify/rules.ts';
import { createPollerRuntime } from '../shared/poller/runtime.ts';
import { createDocumentClient, ensureTable } from '../shared/store/dynamo.ts';
import { callbackProcessorHandler, importWorkerHandler } from './api-server/handlers.ts';
import { startApiServer } from './api-server/index.ts';
import { inInvocation } from './api-server/invocation.ts';
import { type RunningSimulator, startSimulator } from './byrobot-sim/index.ts';
import { readLocalAccess } from './config.ts';
import { createLocalDeliveries } from './notify/deliveries.ts';
import { createLocalNotifier } from './notify/index.ts';
import { LocalQueue } from './queue/index.ts';

const USAGE = `usage: npm start [-- --no-demo] [--poll-seconds 5] [--speed 10] [--stage local] [--data-dir <dir>]
  (npm's own form works too: npm start --no-demo)
  PORT (3000) the API; SIM_PORT (4010) the simulator; LOCAL_API_KEY (local-dev-key);
  BYROBOT_BASE_URL, BYROBOT_APP_KEY, BYROBOT_APP_SECRET: bridge a real byrobot instead of the simulator;
  --stage <name> (STAGE, local): whose notification rules to run; Slack URLs from LOCAL_SECRETS_FILE or SLACK_WEBHOOK_URL;
  EVENTS_FILE (.local/events.ndjson): every event, one JSON line each;
  LOCAL_CALLBACK_TOKEN (local-callback-token): the token of POST /byrobot/callback/{token} (docs/api.md);
  --data-dir <dir>: keep DynamoDB's tables (snapshots, call ledger, imports) and the import and callback queues there across runs.`;

// An unknown or malformed flag: the reason and the usage, exit 64 (EX_USAGE), as the CLI does.
const { values: flags } = orExit(
  () =>
    parseArgs({
      options: {
        demo: { type: 'boolean', default: true },
        'no-demo': { type: 'boolean', default: false },
        'poll-seconds': { type: 'string' },
        speed: { type: 'string' },
        stage: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  `\n${USAGE}`,
  64,
);
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

const env = process.env;
// The handlers' Powertools output (a JSON line per request, EMF metric blobs) would drown the events.
env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The SDK's notice that its 2027 releases need Node ≥ 22 says nothing about the bridge (Lambda runs
// nodejs24.x); engines in package.json already say what Node this repository needs.
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const realByrobot = Boolean(env.BYROBOT_BASE_URL);
// `npm start --no-demo` (without `--`) reaches the script as npm's config: npm_config_demo is ''.
const npmSaysNoDemo = env.npm_config_demo === '' || env.npm_config_demo === 'false';
const demo = flags.demo && !flags['no-demo'] && !npmSaysNoDemo && !realByrobot;
const apiKey = env.LOCAL_API_KEY || 'local-dev-key';
const webhookSecret = `whsec_${Buffer.from('local-dev-webhook-secret-32bytes').toString('base64')}`;
const pollSeconds = Number(flags['poll-seconds'] ?? env.POLL_SECONDS ?? 5);
const closers: Array<() => Promise<unknown>> = [];

/** What `make` returns, or its error's message (and where to read more) and exit: a flag or setting is wrong. */
function orExit<T>(make: () => T, seeAlso = '', exitCode = 1): T {
  try {
    return make();
  } catch (error) {
    console.error(`error: ${(error as Error).message}${seeAlso}`);
    process.exit(exitCode);
  }
}

async function listen<T>(what: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(
        `error: port ${port} for the ${what} is already in use; set ${what === 'API' ? 'PORT' : 'SIM_PORT'} to a free port`,
      );
      process.exit(1);
    }
    throw error;
  }
}

let byrobotUrl = env.BYROBOT_BASE_URL ?? '';
let sim: RunningSimulator | undefined;
let credentials = { appKey: env.BYROBOT_APP_KEY ?? '', appSecret: env.BYROBOT_APP_SECRET ?? '' };
if (realByrobot) {
  if (!credentials.appKey || !credentials.appSecret) {
    console.error('error: with BYROBOT_BASE_URL set, BYROBOT_APP_KEY and BYROBOT_APP_SECRET are required');
    process.exit(1);
  }
} else {
  const simPort = Number(env.SIM_PORT ?? 4010);
  sim = await listen('simulator', simPort, () =>
    startSimulator({ port: simPort, speed: Number(flags.speed ?? 10), seed: 1 }),
  );
  closers.push(sim.close);
  byrobotUrl = sim.url;
  credentials = { appKey: env.SIM_APP_KEY ?? 'demo-key', appSecret: env.SIM_APP_SECRET ?? 'demo-secret' };
}

const dataDir = flags['data-dir'];
const dynamo = await startDynalite(dataDir ? { path: dataDir } : {}).catch((error: Error) => {
  // Another npm start on the same --data-dir: say which process, not LevelDB's "Database is closed".
  console.error(`error: ${error.message}`);
  process.exit(1);
});
closers.push(dynamo.close);
// The stage's notification rules (shared/notify/rules.ts), matched against every event as on AWS.
const stage = flags.stage ?? env.STAGE ?? 'local';
const rules = NOTIFICATION_RULES[stage];
if (!rules) {
  console.error(
    `error: no notification rules for stage "${stage}"; shared/notify/rules.ts has ${Object.keys(NOTIFICATION_RULES).join(', ')}`,
  );
  process.exit(1);
}
const notifier = orExit(() => createLocalNotifier({ rules, eventSource: 'byrobot.bridge' }));
const tableName = 'byrobot-bridge-local';
const localDoc = createDocumentClient({ endpoint: dynamo.endpoint });
await ensureTable(localDoc, tableName);
// The deliverer's destinations (DingTalk, WeCom, Feishu, signed webhooks), logged in the same table.
const deliveries = orExit(() =>
  createLocalDeliveries({ rules, eventSource: 'byrobot.bridge', log: new DeliveryLog(localDoc, tableName) }),
);
const bus = await startLocalBus({
  print: true,
  onEvents: (events) => {
    notifier.handle(events);
    deliveries.handle(events);
  },
});
closers.push(bus.close);
closers.push(() => notifier.idle()); // runs first at stop: let Slack posts in flight finish
closers.push(async () => {
  deliveries.stop();
  await deliveries.idle();
});
console.log(`notification rules (stage ${stage}): ${notifier.describe().join('; ') || 'none'}`);
console.log(`delivery destinations: ${deliveries.describe().join('; ') || 'none'}`);

// The same shapes a deployed stage reads from Secrets Manager, or one all-scopes key and one source.
const access = orExit(() => readLocalAccess(env, { apiKey, webhookSecret }), ' (docs/api.md)');
const config: ApiConfig = {
  tableName,
  eventBusName: 'byrobot-bridge-local',
  eventSource: 'byrobot.bridge',
  byrobotBaseUrl: byrobotUrl,
  credentials: async () => credentials,
  apiKeys: async () => access.apiKeys,
  webhookSources: async () => access.webhookSources,
  dynamoEndpoint: dynamo.endpoint,
  eventBridgeEndpoint: bus.endpoint,
};
// byrobot's push callbacks: the token (LOCAL_CALLBACK_TOKEN, else local-callback-token), and the
// CALLBACK_SOURCE_IPS / CALLBACK_SIGNATURE a stage would set, if set here.
const callbacks = orExit(() => readCallbackConfig(env), ' (docs/api.md, "Push callbacks")');
Object.assign(config, callbacks, {
  callbackToken: callbacks.callbackToken ?? (async () => LOCAL_CALLBACK_TOKEN),
});
// With --data-dir the import queue is kept beside the tables: a kill -9 mid-import loses no chunk.
const queue = new LocalQueue(dataDir ? { dir: join(dataDir, 'import-queue') } : {});
const publish = busPublisher({
  eventBusName: config.eventBusName,
  source: config.eventSource,
  endpoint: bus.endpoint,
});
// The callback queue, kept beside it the same way: a callback answered `success` survives a kill -9.
// A callback whose call another path is announcing (an `in-flight` claim) is retried, as SQS retries
// it after its visibility timeout: 2 s apart here, so five receives outlast any live claimant.
const callbackQueue = new LocalQueue({
  visibilityMs: 2000,
  ...(dataDir ? { dir: join(dataDir, 'callback-queue') } : {}),
});
const deps = createApiDeps(config, 'local-api', {
  byrobot: byrobotClientOnFirstUse(config),
  queue,
  callbackQueue,
  publish,
  deliveries,
});
// Each message batch is an invocation of its own, like each API request (local/api-server/invocation.ts).
const worker = importWorkerHandler(deps);
queue.attach((event) => inInvocation('import-worker', (context) => worker(event, context)));
closers.push(async () => queue.stop());
const processor = callbackProcessorHandler(deps);
callbackQueue.attach((event) => inInvocation('process-callbacks', (context) => processor(event, context)));
closers.push(async () => callbackQueue.stop());

const port = Number(env.PORT ?? 3000);
const api = await listen('API', port, () => startApiServer({ deps, port }));
closers.push(api.close);

// Push first, the poller reconciles (docs/architecture.md): on with the simulator, which pushes to
// this stack; off with a real byrobot, which cannot reach localhost, unless BRIDGE_CALLBACKS says on.
const pushOn = env.BRIDGE_CALLBACKS ? env.BRIDGE_CALLBACKS === 'on' : !realByrobot;
const callbackUrl = `${api.url}/byrobot/callback/${env.LOCAL_CALLBACK_TOKEN ?? LOCAL_CALLBACK_TOKEN}`;
if (sim && pushOn)
  // As byrobot's console configures them: both URLs of every company point at the receiver.
  for (const companyId of sim.sim.world().companies.keys())
    sim.sim.registerCallbacks({ companyId, callRecordUrl: callbackUrl, taskStatusUrl: callbackUrl });
const simulator = sim?.sim;
const poller = createPollerRuntime(
  {
    tableName,
    eventBusName: config.eventBusName,
    eventSource: config.eventSource,
    byrobotBaseUrl: byrobotUrl,
    credentials: config.credentials,
    companies: 'all',
    backfill: false,
    maxInFlight: 4,
    dynamoEndpoint: dynamo.endpoint,
    eventBridgeEndpoint: bus.endpoint,
    callbacks: pushOn,
    callbackGraceSeconds: Number(env.CALLBACK_GRACE_SECONDS ?? 120),
  },
  // Calls end on the simulator's virtual clock: the grace period is measured on it too.
  simulator ? { now: () => new Date(simulator.world().now) } : {},
);
let polling = false;
const poll = async () => {
  if (polling) return; // the lease would skip it anyway; don't pile up ticks
  polling = true;
  try {
    const report = await poller.run({ remainingMs: () => pollSeconds * 1000 + 30_000 });
    for (const c of report.companies)
      for (const f of c.failures)
        console.error(`poller: company ${c.companyId} task ${f.taskId}: ${f.reason}`);
  } catch (error) {
    console.error(`poller: ${(error as Error).message}`);
  } finally {
    polling = false;
  }
};
await poll(); // the first cycle records baselines: what exists already is history
const timer = setInterval(poll, pollSeconds * 1000);
closers.push(async () => clearInterval(timer));
// The import sweeper, as the stage's schedule runs it (every 5 minutes on AWS; each minute here):
// an import whose sender died before its last chunk was queued is finished (docs/runbook.md).
const sweeper = setInterval(() => {
  sweepStuckImports(deps, Date.now()).catch((error: Error) =>
    console.error(`import sweep failed: ${error.message}`),
  );
}, 60_000);
closers.push(async () => clearInterval(sweeper));

console.log(
  `byrobot-bridge local stack ready at ${api.url} (byrobot: ${realByrobot ? byrobotUrl : `simulator ${byrobotUrl}`}; events → ${env.EVENTS_FILE ?? '.local/events.ndjson'})`,
);
if (!realByrobot)
  // The simulator this run started (SIM_PORT may differ from 4010): paste it to drive it with the CLI.
  // A SIM_APP_SECRET of your own stays a variable; only the simulator's documented default is printed.
  console.log(
    `CLI: export BYROBOT_BASE_URL=${byrobotUrl} BYROBOT_APP_KEY=${credentials.appKey} BYROBOT_APP_SECRET=${env.SIM_APP_SECRET ? '"$SIM_APP_SECRET"' : credentials.appSecret}`,
  );
console.log(
  access.describe
    ? access.describe
    : `API key: ${apiKey}   webhook source "local-crm", secret: ${webhookSecret}`,
);
// byrobot's push callbacks (docs/api.md, "Push callbacks"); a token of your own stays a variable.
console.log(
  `byrobot callbacks: POST ${api.url}/byrobot/callback/${env.LOCAL_CALLBACK_TOKEN ? '$LOCAL_CALLBACK_TOKEN' : LOCAL_CALLBACK_TOKEN}${
    sim && pushOn
      ? ' (the simulator pushes here; the poller reconciles what push missed)'
      : pushOn
        ? ''
        : ' (push off: the poller reads every call)'
  }`,
);
console.log(
  `DynamoDB (dynalite): ${dynamo.endpoint}, table ${tableName}, ${dataDir ? `kept in ${dataDir}` : 'in memory'}; EventBridge: ${bus.endpoint}`,
);
if (dataDir && !realByrobot)
  console.log(
    "note: --data-dir keeps the bridge's state, not the simulator's: its task ids start again at 1001, so snapshots from an earlier run describe other tasks",
  );
// With keys of your own (API_KEYS_JSON/FILE) only you know one: the commands read it from $BRIDGE_API_KEY.
const ownKeys = Boolean(env.API_KEYS_JSON || env.API_KEYS_FILE);
const auth = ownKeys ? `-H "authorization: Bearer $BRIDGE_API_KEY"` : `-H 'authorization: Bearer ${apiKey}'`;
const json = `-H 'content-type: application/json'`;
/**
 * Commands that run as pasted in bash: the task id is the demo's, or captured from the create call.
 * byrobot pauses only a running task, so a new task is started first and the demo's paused first.
 */
const tryCommands = (task: string, running: boolean) => {
  const start = `  curl -s -X POST ${api.url}/tasks/${task}/start ${auth}`;
  const pause = `  curl -s -X POST ${api.url}/tasks/${task}/pause ${auth}`;
  return [
    `  curl -s ${api.url}/tasks/${task}/customers ${auth} ${json} \\
    -d '{"customers":[{"name":"张三","phone":"13800138000","properties":{"crmId":"L-1"}}]}'`,
    ...(running ? [pause, start] : [start, pause]),
  ].join('\n');
};
if (!demo)
  console.log(`Try (paste into bash):
  TASK=$(curl -s ${api.url}/tasks ${auth} ${json} \\
    -d '{"companyId":1,"taskName":"试一试","userPhoneIds":[11],"robotDefId":101,"concurrencyQuota":2}' \\
    | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).taskId')
${tryCommands('$TASK', false)}`);

if (demo) {
  const call = async (path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`demo: ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const { taskId } = (await call('/tasks', {
    companyId: 1,
    taskName: '演示任务',
    userPhoneIds: [11],
    robotDefId: 101,
    concurrencyQuota: 3,
  })) as { taskId: number };
  const names = [
    '张伟',
    '王芳',
    '李娜',
    '刘洋',
    '陈静',
    '杨磊',
    '赵敏',
    '黄强',
    '周杰',
    '吴婷',
    '徐亮',
    '孙悦',
  ];
  await call(`/tasks/${taskId}/customers`, {
    customers: names.map((name, i) => ({
      name,
      phone: `1390000${String(i + 1).padStart(4, '0')}`,
      properties: { crmId: `DEMO-${i + 1}` },
    })),
  });
  await call(`/tasks/${taskId}/start`);
  console.log(
    `demo: task ${taskId} created with ${names.length} customers and started; events follow as calls finish (npm start -- --no-demo to skip)`,
  );
  console.log(`Try (paste into bash):\n${tryCommands(String(taskId), true)}`);
  if (simulator && pushOn) regradeOneLead(simulator, taskId);
}

/**
 * The demo's re-graded lead: once the demo task has a call with a level below A, someone in byrobot's
 * CRM grades it A, as a sales lead who called back would be; byrobot pushes the change and a
 * `Call Intent Changed` follows.
 */
function regradeOneLead(simulator: NonNullable<typeof sim>['sim'], taskId: number) {
  const timer = setInterval(() => {
    const task = simulator.world().tasks.get(taskId);
    // An answered call (a conversation happened) that the robot graded below A.
    const call = task?.done.find(
      (c) =>
        c.outcome?.finishStatus === 0 &&
        c.outcome.results.some((r) => r.name === INTENT_RESULT_NAME && !r.value?.startsWith('A')),
    );
    if (!call) return;
    clearInterval(timer);
    try {
      simulator.regrade(call.callInstanceId, 'A', '演示销售');
      console.log(
        `demo: call ${call.callInstanceId} re-graded to A in byrobot's CRM; a Call Intent Changed follows`,
      );
    } catch (error) {
      console.error(`demo: re-grade failed: ${(error as Error).message}`);
    }
  }, 500);
  closers.push(async () => clearInterval(timer));
}

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  for (const close of closers.reverse()) await close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
