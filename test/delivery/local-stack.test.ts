import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/run.ts';
import { startDynalite } from '../../dev/dynamo.ts';
import { startLocalBus } from '../../dev/eventbus.ts';
import { startApiServer } from '../../local/api-server/index.ts';
import { createLocalDeliveries, type LocalDeliveries } from '../../local/notify/deliveries.ts';
import { LocalQueue } from '../../local/queue/index.ts';
import { createApiDeps } from '../../shared/api/deps.ts';
import { byrobotClientOnFirstUse } from '../../shared/byrobot/on-first-use.ts';
import type { ApiConfig } from '../../shared/config/api.ts';
import { DeliveryLog } from '../../shared/delivery/log-store.ts';
import { busPublisher } from '../../shared/events/bus-client.ts';
import { hashApiKey } from '../../shared/http/auth.ts';
import { NOTIFICATION_RULES } from '../../shared/notify/rules.ts';
import { createDocumentClient, ensureTable } from '../../shared/store/dynamo.ts';
import { captureIo } from '../cli/support.ts';
import { type Receiver, startReceiver } from '../support/receivers.ts';

/*
 * The local stage's delivery rules as `npm start` wires them: the real local bus, the deliverer
 * posting to local receivers for every fixed-point variable, the log in dynalite, the API serving
 * GET /deliveries and replay, and the CLI commands driving it all over HTTP.
 */

const WHSEC = `whsec_${Buffer.from('local-stack-test-secret-32-bytes').toString('base64')}`;
let closers: Array<() => Promise<unknown>> = [];
let hook: Receiver;
let ding: Receiver;
let wecom: Receiver;
let feishu: Receiver;
let deliveries: LocalDeliveries;
let env: Record<string, string>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deliveries-'));
  const dynamo = await startDynalite();
  const doc = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureTable(doc, 'local-deliveries');
  hook = await startReceiver(() => ({ status: 200, body: '' }));
  ding = await startReceiver();
  wecom = await startReceiver();
  feishu = await startReceiver(() => ({ status: 200, body: '{"code":0,"msg":"success"}' }));
  deliveries = createLocalDeliveries({
    rules: NOTIFICATION_RULES.local!,
    eventSource: 'byrobot.bridge',
    log: new DeliveryLog(doc, 'local-deliveries'),
    env: {
      LOCAL_WEBHOOK_URL: `${hook.url}/crm`,
      LOCAL_WEBHOOK_SECRET: WHSEC,
      DINGTALK_WEBHOOK_URL: `${ding.url}/robot/send?access_token=t`,
      DINGTALK_SECRET: 'SECding',
      WECOM_WEBHOOK_URL: `${wecom.url}/cgi-bin/webhook/send?key=k`,
      FEISHU_WEBHOOK_URL: `${feishu.url}/open-apis/bot/v2/hook/h`,
      FEISHU_SECRET: 'fs',
    },
    out: () => undefined,
    err: () => undefined,
  });
  const eventsFile = join(dir, 'events.ndjson');
  const bus = await startLocalBus({ eventsFile, onEvents: deliveries.handle });
  const config: ApiConfig = {
    tableName: 'local-deliveries',
    eventBusName: 'byrobot-bridge-local',
    eventSource: 'byrobot.bridge',
    // No byrobot here: nothing these tests ask of the API calls it.
    byrobotBaseUrl: 'http://127.0.0.1:1',
    credentials: async () => ({ appKey: 'x', appSecret: 'y' }),
    apiKeys: async () => [
      { id: 'k', hash: hashApiKey('test-key'), scopes: ['read', 'control'], companies: '*' },
    ],
    webhookSources: async () => [],
    dynamoEndpoint: dynamo.endpoint,
    eventBridgeEndpoint: bus.endpoint,
  };
  // The local server serves every route, so it is given every client, as npm start gives them.
  const deps = createApiDeps(config, 'test-api', {
    deliveries,
    byrobot: byrobotClientOnFirstUse(config),
    queue: new LocalQueue(),
    callbackQueue: new LocalQueue(),
    publish: busPublisher({
      eventBusName: config.eventBusName,
      source: config.eventSource,
      endpoint: bus.endpoint,
    }),
  });
  const api = await startApiServer({ deps });
  env = {
    BRIDGE_API_URL: api.url,
    BRIDGE_API_KEY: 'test-key',
    EVENTBRIDGE_ENDPOINT: bus.endpoint,
    EVENTS_FILE: eventsFile,
  };
  closers = [api.close, bus.close, hook.close, ding.close, wecom.close, feishu.close, dynamo.close];
});
afterAll(async () => {
  deliveries.stop();
  for (const close of closers) await close();
});

async function cli(...argv: string[]) {
  const io = captureIo(env);
  const code = await run(argv, io);
  return { code, out: io.stdout.text, err: io.stderr.text };
}

describe('Local stack: fixed-point destinations, GET /deliveries, CLI', () => {
  it('events trigger "Call Completed" (intent A) reaches every chat robot and the signed webhook; deliveries show lists each attempt', async () => {
    const triggered = await cli('events', 'trigger', 'Call Completed', '--json');
    expect(triggered.code).toBe(0);
    const { eventId } = JSON.parse(triggered.out) as { eventId: string };
    await Promise.all([hook.until(1), ding.until(1), wecom.until(1), feishu.until(1)]);
    await deliveries.idle();
    expect(new Webhook(WHSEC).verify(hook.requests[0]!.body, hook.requests[0]!.headers)).toMatchObject({
      'detail-type': 'Call Completed',
      detail: { eventId },
    });
    for (const r of [ding, wecom, feishu]) expect(r.requests[0]!.body).toContain('LEAD-1042');

    const shown = await cli('deliveries', 'show', eventId, '--json');
    expect(shown.code).toBe(0);
    const body = JSON.parse(shown.out) as {
      deliveries: { destination: string; status: string; attempts: unknown[] }[];
    };
    expect(body.deliveries.map((d) => d.destination).sort()).toEqual([
      'all-events-webhook-webhook',
      'hot-leads-chat-dingtalk',
      'hot-leads-chat-feishu',
      'hot-leads-chat-wecom',
    ]);
    for (const d of body.deliveries)
      expect(d).toMatchObject({ status: 'delivered', attempts: [expect.anything()] });
    expect(shown.out).not.toMatch(/SECding|access_token|key=k|whsec_/);

    const listed = await cli('deliveries', 'list');
    expect(listed.out).toContain(eventId);

    const replayed = await cli(
      'deliveries',
      'replay',
      eventId,
      '--destination',
      'all-events-webhook-webhook',
    );
    expect(replayed.code).toBe(0);
    await hook.until(2);
    await deliveries.idle();
    expect(hook.requests[1]!.headers['webhook-id']).toBe(eventId);
  });

  it('a Task Completed goes only to the webhook, not to the hot-lead chats', async () => {
    const before = { hook: hook.requests.length, ding: ding.requests.length };
    expect((await cli('events', 'trigger', 'task-completed')).code).toBe(0);
    await hook.until(before.hook + 1);
    await deliveries.idle();
    expect(ding.requests.length).toBe(before.ding);
  });

  it('events replay --from --to publishes the range of the local events file again, same eventIds', async () => {
    const before = hook.requests.length;
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const replay = await cli('events', 'replay', '--from', from, '--to', to, '--json');
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.out)).toEqual({ replayed: 2 });
    await hook.until(before + 2);
    await deliveries.idle();
    const ids = hook.requests.slice(before).map((r) => r.headers['webhook-id']);
    expect(ids.sort()).toEqual(
      [hook.requests[0]!.headers['webhook-id'], hook.requests.at(before - 1)!.headers['webhook-id']].sort(),
    );
  });

  it('events forward --to posts each new event of the local bus, signed, to a local URL, and stops on SIGINT', async () => {
    const forwarded = await startReceiver(() => ({ status: 204, body: '' }));
    const bin = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));
    const child = spawn(
      process.execPath,
      [bin, 'events', 'forward', '--to', `${forwarded.url}/hook`, '--secret', WHSEC],
      {
        env: { PATH: process.env.PATH ?? '', EVENTS_FILE: env.EVENTS_FILE! },
      },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // It forwards what is appended after it starts: publish until the first one arrives.
      const ids: string[] = [];
      for (let i = 0; i < 30 && forwarded.requests.length === 0; i++) {
        const t = await cli('events', 'trigger', 'Task Completed', '--json');
        ids.push((JSON.parse(t.out) as { eventId: string }).eventId);
        await Promise.race([forwarded.until(1), new Promise((r) => setTimeout(r, 1000))]);
      }
      const [first] = forwarded.requests;
      expect(first).toBeDefined();
      const verified = new Webhook(WHSEC).verify(first!.body, first!.headers) as {
        detail: { eventId: string };
      };
      expect(ids).toContain(verified.detail.eventId);
      expect(first!.headers['webhook-id']).toBe(verified.detail.eventId);
      // The CLI prints its line once the receiver's answer is in.
      const line = /Task Completed \S+ → HTTP 204/;
      for (let i = 0; i < 200 && !line.test(stdout); i++) await new Promise((r) => setTimeout(r, 25));
      expect(stdout).toMatch(line);
    } finally {
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await forwarded.close();
      await deliveries.idle();
    }
  });

  it('GET /deliveries refuses an unknown query field, naming it', async () => {
    const res = await fetch(`${env.BRIDGE_API_URL}/deliveries?eventid=x`, {
      headers: { authorization: 'Bearer test-key' },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
  it('deliveries resume unpauses a destination through the API, and names an unknown one', async () => {
    const ok = await cli('deliveries', 'resume', 'hot-leads-chat-dingtalk', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({
      destination: 'hot-leads-chat-dingtalk',
      resumed: true,
      redriven: 0,
    });
    const unknown = await cli('deliveries', 'resume', 'nowhere');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no destination nowhere');
  });
});
