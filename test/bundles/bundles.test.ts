import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text as readText } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOnce } from '../../bench/bundles.ts';
import { startDynalite } from '../../dev/dynamo.ts';
import { startLocalBus } from '../../dev/eventbus.ts';
import { type BuiltFunction, buildAll } from '../../infra/build.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/functions.ts';
import { httpEvent } from '../../local/api-server/events.ts';
import { startSimulator } from '../../local/byrobot-sim/index.ts';
import { ByrobotClient } from '../../shared/byrobot/client.ts';
import { hashApiKey, signWebhook } from '../../shared/http/auth.ts';
import { createDocumentClient, ensureTable } from '../../shared/store/dynamo.ts';
import { startSecretsManager } from '../support/secrets-manager.ts';
import { sqsEvent, startSqs } from '../support/sqs.ts';

/*
 * The artefacts, not the source: every function is bundled with the settings CDK deploys
 * (infra/build.ts), then each bundle is loaded in a fresh Node process and its handler invoked
 * with a sample event against the local components — secrets from a Secrets Manager endpoint,
 * byrobot from the simulator, DynamoDB from dynalite, events to the local bus.
 */

const API_KEY = 'bundle-test-key-0000000000000001';
const WEBHOOK_SECRET = `whsec_${Buffer.from('bundle-webhook-secret-0123456789').toString('base64')}`;
const SECRETS = {
  byrobot: 'byrobot-bridge/test/byrobot-credentials',
  apiKeys: 'byrobot-bridge/test/api-keys',
  webhooks: 'byrobot-bridge/test/webhook-sources',
  slack: 'byrobot-bridge/test/slack',
  callbackToken: 'byrobot-bridge/test/callback-token',
};
const CALLBACK_TOKEN = 'bundle-callback-token-0123456789';

let outDir: string;
let built: Map<FunctionName, BuiltFunction>;
let env: Record<string, string>;
let taskId: number;
let slackPosts: string[];
let secretReads: string[];
let bus: Awaited<ReturnType<typeof startLocalBus>>;
let sqs: Awaited<ReturnType<typeof startSqs>>;
const closers: Array<() => Promise<unknown>> = [];

interface Invocation {
  ok: boolean;
  importMs: number;
  result?: { statusCode?: number; body?: string; headers?: Record<string, string> } & Record<string, unknown>;
  error?: string;
  stdout: string;
}

async function invoke(
  name: FunctionName,
  event: unknown,
  extraEnv: Record<string, string> = {},
): Promise<Invocation> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'invoke.mjs'), built.get(name)!.file], {
    env: { PATH: process.env.PATH ?? '', ...env, ...extraEnv },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(JSON.stringify(event));
  const [stdout, stderr] = await Promise.all([
    readText(child.stdout),
    readText(child.stderr),
    once(child, 'close'),
  ]);
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${name}: no RESULT line\n${stdout}\n${stderr}`);
  return { ...(JSON.parse(line.slice(7)) as Omit<Invocation, 'stdout'>), stdout };
}

/** An API request with the test's key through the built function of its route. */
const authed = (
  name: FunctionName,
  method: string,
  path: string,
  pathParameters?: Record<string, string>,
  body?: unknown,
) =>
  invoke(
    name,
    httpEvent({
      method,
      path,
      pathParameters,
      headers: auth,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );

/** `POST /tasks/{taskId}/customers` through the built import-customers function. */
const importCustomers = (customers: unknown[]) =>
  authed('import-customers', 'POST', `/tasks/${taskId}/customers`, { taskId: String(taskId) }, { customers });

const body = (r: Invocation) => JSON.parse(r.result?.body ?? 'null') as Record<string, unknown>;
const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'bridge-bundles-'));
  built = new Map((await buildAll(outDir)).map((f) => [f.name, f]));
  const [sim, dynamo, localBus, localSqs] = await Promise.all([
    startSimulator({ seed: 3, speed: 0 }),
    startDynalite(),
    startLocalBus({ eventsFile: null }),
    // The second chunk's message is refused once, as SQS may: the queue resends only that entry.
    startSqs({ refuseOnce: ['1'] }),
  ]);
  bus = localBus;
  sqs = localSqs;
  const slack = createServer(async (req, res) => {
    slackPosts.push(await readText(req));
    res.end('ok');
  });
  await new Promise<void>((r) => slack.listen(0, '127.0.0.1', r));
  slackPosts = [];
  const secrets = await startSecretsManager({
    [SECRETS.byrobot]: { appKey: 'demo-key', appSecret: 'demo-secret' },
    [SECRETS.apiKeys]: {
      keys: [
        {
          id: 'ops',
          hash: hashApiKey(API_KEY),
          scopes: ['control', 'create', 'import', 'read'],
          companies: '*',
        },
      ],
    },
    [SECRETS.webhooks]: { sources: [{ name: 'crm', secrets: [WEBHOOK_SECRET], companies: [1] }] },
    [SECRETS.callbackToken]: { token: CALLBACK_TOKEN },
    [SECRETS.slack]: { webhookUrl: `http://127.0.0.1:${(slack.address() as AddressInfo).port}/hook` },
  });
  secretReads = secrets.reads;
  closers.push(
    sim.close,
    dynamo.close,
    bus.close,
    sqs.close,
    secrets.close,
    () => new Promise((r) => slack.close(r)),
  );
  const tableName = 'bundle-test';
  await ensureTable(createDocumentClient({ endpoint: dynamo.endpoint }), tableName);
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    TABLE_NAME: tableName,
    EVENT_BUS_NAME: 'byrobot-bridge-test',
    BYROBOT_BASE_URL: sim.url,
    BYROBOT_CREDENTIALS_SECRET: SECRETS.byrobot,
    API_KEYS_SECRET: SECRETS.apiKeys,
    WEBHOOK_SOURCES_SECRET: SECRETS.webhooks,
    IMPORT_QUEUE_URL: `${sqs.endpoint}/000000000000/byrobot-bridge-test-imports`,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    EVENTBRIDGE_ENDPOINT: bus.endpoint,
  };
  const client = new ByrobotClient({ baseUrl: sim.url, appKey: 'demo-key', appSecret: 'demo-secret' });
  const [robot] = await client.getRobots(1);
  const [line] = await client.getPhones(1);
  taskId = await client.createTask({
    companyId: 1,
    taskName: 'bundle test',
    taskType: 2,
    workingStartTime: '09:00',
    workingEndTime: '20:00',
    userPhoneIds: [line!.userPhoneId],
    robotDefId: robot!.robotDefId,
    concurrencyQuota: 1,
  });
}, 120_000);

afterAll(async () => {
  for (const close of closers) await close();
  rmSync(outDir, { recursive: true, force: true });
});

describe('Built bundles, each in a fresh Node process', () => {
  it("every function loads with the bundle bench's configuration (npm run bench bundles times these imports)", () => {
    for (const name of FUNCTION_NAMES) expect(importOnce(built.get(name)!.file), name).toBeGreaterThan(0);
  });

  it('builds one bundle per function', () => {
    expect([...built.keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const f of built.values()) expect(f.bytes).toBeGreaterThan(10_000);
  });

  it('health answers 200 with its API keys read from Secrets Manager', async () => {
    const r = await invoke('health', httpEvent({ method: 'GET', path: '/health' }));
    expect(r.ok, r.error).toBe(true);
    expect(r.result?.statusCode).toBe(200);
    expect(body(r).status).toBe('ok');
    expect(secretReads).toContain(SECRETS.apiKeys);
  });

  it('openapi serves the OpenAPI 3.1 document', async () => {
    const r = await invoke('openapi', httpEvent({ method: 'GET', path: '/openapi.json' }));
    expect(r.result?.statusCode).toBe(200);
    expect(body(r).openapi).toBe('3.1.0');
  });

  it('create-task creates a task in byrobot (201)', async () => {
    const r = await authed('create-task', 'POST', '/tasks', undefined, {
      companyId: 1,
      taskName: '打包测试',
      userPhoneIds: [11],
      robotDefId: 101,
    });
    expect(r.result?.statusCode, r.result?.body).toBe(201);
    expect(body(r).taskId).toEqual(expect.any(Number));
  });

  it('import-customers imports a small batch at once', async () => {
    const r = await importCustomers([
      { name: '张三', phone: '+86 138-0013-8000', properties: { crmId: 'L-1' } },
      { name: '坏号码', phone: '12345' },
    ]);
    expect(r.result?.statusCode, r.result?.body).toBe(200);
    expect(body(r)).toMatchObject({ counts: expect.objectContaining({ valid: 1, invalid: 1 }) });
  });

  it('import-customers queues a large import through SQS, and import-worker imports every chunk', async () => {
    // The SQS client is a file of its own, loaded by the first large import only.
    const main = readFileSync(built.get('import-customers')!.file, 'utf8');
    expect(main).not.toContain('AmazonSQS');
    expect(built.get('import-customers')!.lazy.map((l) => l.source)).toEqual(['shared/api/queue.ts']);
    const customers = Array.from({ length: 2_500 }, (_, i) => ({
      name: `客户${i}`,
      phone: i % 2 ? `139${String(i).padStart(8, '0')}` : `+86 139 ${String(i).padStart(8, '0')}`,
    }));
    const accepted = await importCustomers(customers);
    expect(accepted.result?.statusCode, accepted.result?.body).toBe(202);
    const { importId } = body(accepted) as { importId: string };
    expect(sqs.messages.map((m) => m.id).sort()).toEqual(['0', '1', '2']);
    expect(sqs.batches()).toBe(2);
    const rows = sqs.messages.map((m) => (JSON.parse(m.body) as { rows: unknown[] }).rows.length);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(2_500);

    const worked = await invoke('import-worker', sqsEvent(sqs.messages));
    expect(worked.ok, worked.error).toBe(true);
    expect(worked.result).toEqual({ batchItemFailures: [] });
    const status = await authed('get-import', 'GET', `/imports/${importId}`, { importId });
    expect(status.result?.statusCode, status.result?.body).toBe(200);
    expect(body(status)).toMatchObject({ importId, status: 'completed' });
    const completed = bus.bus.events.filter((e) => e['detail-type'] === 'Import Completed');
    expect(completed.map((e) => e.detail.importId)).toEqual([importId]);
  }, 60_000);

  it('webhook-customers verifies a Standard Webhooks signature and imports', async () => {
    const raw = JSON.stringify({ customers: [{ name: '李四', phone: '13900139000' }] });
    const ts = Math.floor(Date.now() / 1000);
    /** Signs `raw` for the CRM source and sends `sent` (the same body, or a tampered one). */
    const send = (id: string, sent: string) =>
      invoke(
        'webhook-customers',
        httpEvent({
          method: 'POST',
          path: `/webhooks/crm/tasks/${taskId}/customers`,
          pathParameters: { source: 'crm', taskId: String(taskId) },
          headers: {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(ts),
            'webhook-signature': signWebhook(WEBHOOK_SECRET, id, ts, raw),
          },
          body: sent,
        }),
      );
    const r = await send('msg_bundle_1', raw);
    expect(r.result?.statusCode, r.result?.body).toBe(200);
    const tampered = await send('msg_bundle_2', raw.replace('李四', '王五'));
    expect(tampered.result?.statusCode).toBe(401);
  });

  it('task-action starts the task (200) and get-call / get-import answer 404 for unknown ids', async () => {
    const start = await authed('task-action', 'POST', `/tasks/${taskId}/start`, { taskId: String(taskId) });
    expect(start.result?.statusCode, start.result?.body).toBe(200);
    expect(body(start)).toMatchObject({ taskId, action: 'start' });
    const call = await authed('get-call', 'GET', '/calls/999999999', { callInstanceId: '999999999' });
    expect(call.result?.statusCode).toBe(404);
    expect(call.result?.headers?.['content-type']).toBe('application/problem+json');
    const unknown = 'imp_0000000000000000000000';
    const imp = await authed('get-import', 'GET', `/imports/${unknown}`, { importId: unknown });
    expect([400, 404]).toContain(imp.result?.statusCode);
  });

  it('receive-callback queues a callback through SQS (success), and process-callbacks publishes its event', async () => {
    const callbackEnv = {
      CALLBACK_TOKEN_SECRET: SECRETS.callbackToken,
      CALLBACK_QUEUE_URL: `${sqs.endpoint}/000000000000/byrobot-bridge-test-callbacks`,
    };
    const raw = readFileSync(new URL('../fixtures/callbacks/call-record.json', import.meta.url), 'utf8');
    const post = (token: string) =>
      invoke(
        'receive-callback',
        httpEvent({
          method: 'POST',
          path: `/byrobot/callback/${token}`,
          pathParameters: { token },
          headers: { 'content-type': 'text/plain;charset=utf-8' },
          body: raw,
        }),
        callbackEnv,
      );
    const before = sqs.messages.length;
    const refused = await post('not-the-token-0123456789');
    expect(refused.result?.statusCode).toBe(401);
    expect(sqs.messages).toHaveLength(before);
    const r = await post(CALLBACK_TOKEN);
    expect(r.result?.statusCode, r.result?.body).toBe(200);
    expect(r.result?.body).toBe('success');
    expect(secretReads).toContain(SECRETS.callbackToken);
    const queued = sqs.messages.slice(before);
    expect(queued).toHaveLength(1);
    const worked = await invoke('process-callbacks', sqsEvent(queued));
    expect(worked.ok, worked.error).toBe(true);
    expect(worked.result).toEqual({ batchItemFailures: [] });
    const calls = bus.bus.events.filter(
      (e) => e['detail-type'] === 'Call Completed' && e.detail.callInstanceId === 1,
    );
    expect(calls).toHaveLength(1);
  }, 60_000);

  it('poller runs one cycle over every company the key sees', async () => {
    const r = await invoke('poller', {});
    expect(r.ok, r.error).toBe(true);
    const report = r.result as unknown as { companies: { companyId: number; failures: unknown[] }[] };
    expect(report.companies.length).toBeGreaterThan(0);
    expect(report.companies.flatMap((c) => c.failures)).toEqual([]);
  });

  it('import-worker reports an unknown chunk as a batch item failure, for SQS to redeliver', async () => {
    const chunk = JSON.stringify({ importId: 'imp_unknown', chunk: 0, companyId: 1, taskId, rows: [] });
    const message = { queueUrl: '', id: 'm-1', messageId: 'm-1', body: chunk };
    const r = await invoke('import-worker', sqsEvent([message]));
    expect(r.ok, r.error).toBe(true);
    expect(r.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
  });

  it('slack-notify posts the event to the webhook URL read from its secret, phone masked', async () => {
    const r = await invoke(
      'slack-notify',
      {
        version: '0',
        id: 'e-1',
        'detail-type': 'Call Completed',
        source: 'byrobot.bridge',
        account: '000000000000',
        time: '2026-11-25T02:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: {
          taskId,
          taskName: 'bundle test',
          callInstanceId: 42,
          intentLevel: 'A',
          finishStatus: { code: 0, label: 'answered' },
          customer: { name: '张三', phone: '13800138000' },
          properties: { crmId: 'L-1' },
          durationSeconds: 31,
        },
      },
      { SLACK_WEBHOOK_SECRET: SECRETS.slack },
    );
    expect(r.ok, r.error).toBe(true);
    expect(slackPosts).toHaveLength(1);
    const text = (JSON.parse(slackPosts[0]!) as { text: string }).text;
    expect(text).toContain('L-1');
    expect(text).toContain('138****8000');
    expect(text).not.toContain('13800138000');
  });

  it('a bundle prints no secret value', async () => {
    const r = await invoke('health', httpEvent({ method: 'GET', path: '/health' }), {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    for (const secret of ['demo-secret', API_KEY, WEBHOOK_SECRET]) expect(r.stdout).not.toContain(secret);
  });
});
