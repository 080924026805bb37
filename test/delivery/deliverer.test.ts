import { createHmac, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite } from '../../dev/dynamo.ts';
import { createLocalDeliveries } from '../../local/notify/deliveries.ts';
import { WECOM_MARKDOWN_MAX_BYTES } from '../../shared/delivery/chat.ts';
import { Deliverer } from '../../shared/delivery/deliverer.ts';
import type { DestinationCredentials, DestinationKind } from '../../shared/delivery/destinations.ts';
import { MAX_ATTEMPTS } from '../../shared/delivery/destinations.ts';
import { DeliveryLog } from '../../shared/delivery/log-store.ts';
import type { NotificationRule } from '../../shared/notify/rules.ts';
import { createDocumentClient, ensureTable } from '../../shared/store/dynamo.ts';
import { callCompletedEvent } from '../support/delivery-event.ts';
import { type Receiver, startReceiver } from '../support/receivers.ts';

/*
 * The deliverer against local HTTP receivers, with the delivery log in dynalite. Each vendor's
 * signature is checked here the way the vendor documents it, with node:crypto or the
 * `standardwebhooks` package's own verifier: never by calling the bridge's signer.
 */

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let log: DeliveryLog;
const receivers: Receiver[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  const doc = createDocumentClient({ endpoint: dynamo.endpoint });
  const tableName = `deliveries-${randomUUID().slice(0, 8)}`;
  await ensureTable(doc, tableName);
  log = new DeliveryLog(doc, tableName);
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await dynamo.close();
});

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

function deliverer(
  kind: DestinationKind,
  credentials: DestinationCredentials,
  name = `${kind}-${randomUUID().slice(0, 6)}`,
) {
  return new Deliverer({
    destination: { kind, secret: 'unused', name },
    credentials: async () => credentials,
    log,
  });
}

const WHSEC = `whsec_${Buffer.from('a-receiver-secret-of-32-bytes!!!').toString('base64')}`;
const WHSEC_NEXT = `whsec_${Buffer.from('the-next-secret-during-rotation!').toString('base64')}`;

describe('Deliverer: signing, verified as each vendor verifies', () => {
  it('DingTalk: timestamp + sign query parameters, base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret', async () => {
    // Prepare
    const r = await receiver();
    const secret = 'SEC0123456789abcdef';
    const event = callCompletedEvent();
    // Act
    const outcome = await deliverer('dingtalk', {
      webhookUrl: `${r.url}/robot/send?access_token=tok`,
      secret,
    }).deliver(event, 1);
    // Assess
    expect(outcome).toEqual({ action: 'delivered' });
    const url = new URL(r.requests[0]!.url, 'http://x');
    const timestamp = url.searchParams.get('timestamp')!;
    expect(Math.abs(Date.now() - Number(timestamp))).toBeLessThan(3_600_000); // DingTalk allows 1 h
    const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
    expect(url.searchParams.get('sign')).toBe(expected);
    expect(url.searchParams.get('access_token')).toBe('tok');
    // URL-encoded on the wire: no raw '+' or '/' from the base64 in the query string.
    expect(r.requests[0]!.url.split('sign=')[1]).toBe(encodeURIComponent(expected));
    const body = JSON.parse(r.requests[0]!.body);
    expect(body.msgtype).toBe('actionCard');
    expect(body.actionCard.singleURL).toBe('https://recordings.example.com/540.wav');
    expect(body.actionCard.text).toContain('LEAD-1042');
    expect(r.requests[0]!.body).not.toContain('13800138000');
    expect(body.actionCard.text).toContain('138****8000');
  });

  it('Feishu: timestamp + sign in the body, base64 HMAC-SHA256 keyed by "timestamp\\nsecret" over an empty message', async () => {
    const r = await receiver(() => ({ status: 200, body: '{"code":0,"msg":"success","data":{}}' }));
    const secret = 'feishu-secret-xyz';
    const outcome = await deliverer('feishu', {
      webhookUrl: `${r.url}/open-apis/bot/v2/hook/abc`,
      secret,
    }).deliver(callCompletedEvent(), 1);
    expect(outcome).toEqual({ action: 'delivered' });
    const body = JSON.parse(r.requests[0]!.body);
    expect(Math.abs(Date.now() / 1000 - Number(body.timestamp))).toBeLessThan(3600);
    expect(body.sign).toBe(createHmac('sha256', `${body.timestamp}\n${secret}`).update('').digest('base64'));
    expect(body.msg_type).toBe('interactive');
    expect(body.card.elements[1].actions[0].url).toBe('https://recordings.example.com/540.wav');
    expect(r.requests[0]!.body).not.toContain('13800138000');
  });

  it('WeCom: the key rides in the URL; markdown stays within 4,096 bytes however long the fields', async () => {
    const r = await receiver();
    const long = '很长的名字'.repeat(600);
    await deliverer('wecom', { webhookUrl: `${r.url}/cgi-bin/webhook/send?key=693a91f6-7xxx` }).deliver(
      callCompletedEvent({ customer: { id: 1, name: long, phone: '13800138000' } }),
      1,
    );
    expect(new URL(r.requests[0]!.url, 'http://x').searchParams.get('key')).toBe('693a91f6-7xxx');
    const body = JSON.parse(r.requests[0]!.body);
    expect(body.msgtype).toBe('markdown');
    expect(Buffer.byteLength(body.markdown.content, 'utf8')).toBeLessThanOrEqual(WECOM_MARKDOWN_MAX_BYTES);
    expect(body.markdown.content.endsWith('…')).toBe(true);
  });

  it('webhook: Standard Webhooks headers that the standardwebhooks verifier and a hand-made HMAC accept, for each rotating secret', async () => {
    const r = await receiver(() => ({ status: 204, body: '' }));
    const event = callCompletedEvent();
    await deliverer('webhook', { webhookUrl: `${r.url}/crm`, secrets: [WHSEC, WHSEC_NEXT] }).deliver(
      event,
      1,
    );
    const { headers, body } = r.requests[0]!;
    expect(headers['webhook-id']).toBe(event.detail.eventId);
    expect(JSON.parse(body)).toEqual(event); // the full event is the body
    expect(new Webhook(WHSEC).verify(body, headers)).toEqual(event);
    expect(new Webhook(WHSEC_NEXT).verify(body, headers)).toEqual(event);
    expect(() =>
      new Webhook(`whsec_${Buffer.from('some-other-secret-32-bytes-long!').toString('base64')}`).verify(
        body,
        headers,
      ),
    ).toThrow();
    // The spec by hand: base64 HMAC-SHA256, key = the secret's bytes, over "id.timestamp.body".
    const key = Buffer.from(WHSEC.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key)
      .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
      .digest('base64');
    expect(headers['webhook-signature']!.split(' ')).toContain(`v1,${mac}`);
    expect(headers['webhook-attempt']).toBe('1');
  });
});

describe('Deliverer: answers that are failures', () => {
  it('counts a DingTalk HTTP 200 with a non-zero errcode as a failed attempt, logged with the code', async () => {
    const r = await receiver(() => ({ status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' }));
    const event = callCompletedEvent();
    const d = deliverer('dingtalk', { webhookUrl: `${r.url}/robot/send?access_token=t`, secret: 's' });
    const outcome = await d.deliver(event, 1);
    expect(outcome).toEqual({ action: 'retry', delaySeconds: 5 });
    const { attempts, summaries } = await log.forEvent(String(event.detail.eventId));
    expect(attempts).toMatchObject([{ ok: false, statusCode: 200, vendorCode: 310000, attempt: 1 }]);
    expect(attempts[0]!.response).toContain('sign not match');
    expect(summaries).toMatchObject([{ status: 'retrying', attempts: 1 }]);
  });

  it('counts a Feishu {"code": 19021} and a WeCom {"errcode": 93000} as failures', async () => {
    const feishu = await receiver(() => ({ status: 200, body: '{"code":19021,"msg":"sign match fail"}' }));
    const wecom = await receiver(() => ({
      status: 200,
      body: '{"errcode":93000,"errmsg":"invalid webhook url"}',
    }));
    expect(
      (
        await deliverer('feishu', { webhookUrl: `${feishu.url}/h`, secret: 'x' }).deliver(
          callCompletedEvent(),
          1,
        )
      ).action,
    ).toBe('retry');
    expect(
      (await deliverer('wecom', { webhookUrl: `${wecom.url}/s?key=k` }).deliver(callCompletedEvent(), 1))
        .action,
    ).toBe('retry');
  });

  it('slows down, never drops, when DingTalk says "send too fast" (130101): the next attempt waits out its 10-minute block', async () => {
    const r = await receiver(() => ({
      status: 200,
      body: '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}',
    }));
    const outcome = await deliverer('dingtalk', { webhookUrl: `${r.url}/robot/send?access_token=t` }).deliver(
      callCompletedEvent(),
      2,
    );
    expect(outcome).toEqual({ action: 'retry', delaySeconds: 600 });
  });

  it('dead-letters after the last attempt of the schedule', async () => {
    const r = await receiver(() => ({ status: 500, body: 'down' }));
    const outcome = await deliverer('webhook', { webhookUrl: `${r.url}/x`, secrets: [WHSEC] }).deliver(
      callCompletedEvent(),
      MAX_ATTEMPTS,
    );
    expect(outcome).toEqual({ action: 'dead-letter' });
  });
});

describe('Local deliveries: retries, DLQ, pause, replay', () => {
  const rule = (name: string): NotificationRule => ({
    name,
    description: 'test',
    pattern: { 'detail-type': ['Call Completed'] },
    destinations: [{ kind: 'webhook', secret: `test/${name}` }],
  });
  const local = (
    url: string,
    name: string,
    extra: Partial<Parameters<typeof createLocalDeliveries>[0]> = {},
  ) =>
    createLocalDeliveries({
      rules: [rule(name)],
      eventSource: 'byrobot.bridge',
      log,
      env: { LOCAL_WEBHOOK_URL: url, LOCAL_WEBHOOK_SECRET: WHSEC },
      out: () => undefined,
      err: () => undefined,
      retryDelayMs: () => 1,
      ...extra,
    });
  const asStored = (e: ReturnType<typeof callCompletedEvent>) => e as never;

  it('a receiver failing 3 times then succeeding gets the event exactly once more, and the log shows 4 attempts', async () => {
    const r = await receiver((n) => (n < 3 ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' }));
    const deliveries = local(`${r.url}/hook`, 'flaky');
    const event = callCompletedEvent();
    deliveries.handle([asStored(event)]);
    await r.until(4);
    await deliveries.idle();
    expect(r.requests).toHaveLength(4);
    expect(r.requests.map((q) => q.headers['webhook-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(new Set([event.detail.eventId]));
    const { attempts, summaries } = await log.forEvent(String(event.detail.eventId));
    expect(attempts.map((a) => [a.attempt, a.ok, a.statusCode])).toEqual([
      [1, false, 503],
      [2, false, 503],
      [3, false, 503],
      [4, true, 200],
    ]);
    expect(attempts.every((a) => a.latencyMs >= 0)).toBe(true);
    expect(summaries).toMatchObject([{ destination: 'flaky-webhook', status: 'delivered', attempts: 4 }]);
    expect(deliveries.stats.delivered).toBe(1);
  });

  it('one failing for good ends in the DLQ with the event intact and pauses the destination; the next event is held, resume redrives both', async () => {
    let healthy = false;
    const r = await receiver(() => (healthy ? { status: 200, body: 'ok' } : { status: 500, body: 'down' }));
    // The clock moves an hour per request the receiver got: the 8th failure comes 7 h after the
    // first, which is when a destination configured to pause after 7 h of failing is paused.
    const base = Date.now();
    const deliveries = local(`${r.url}/hook`, 'broken', {
      pauseAfterSeconds: 7 * 3600,
      now: () => base + r.requests.length * 3_600_000,
    });
    const event = callCompletedEvent();
    deliveries.handle([asStored(event)]);
    await r.until(MAX_ATTEMPTS);
    await deliveries.idle();
    expect(r.requests).toHaveLength(MAX_ATTEMPTS);
    expect(deliveries.deadLetters('broken-webhook')).toEqual([event]);
    expect((await log.state('broken-webhook')).paused).toBe(true);

    const second = callCompletedEvent();
    deliveries.handle([asStored(second)]);
    await deliveries.idle();
    expect(r.requests).toHaveLength(MAX_ATTEMPTS); // held, not posted
    expect((await log.forEvent(String(second.detail.eventId))).summaries).toMatchObject([{ status: 'held' }]);

    healthy = true;
    expect(await deliveries.resume('broken-webhook')).toBe(2);
    await r.until(MAX_ATTEMPTS + 2);
    await deliveries.idle();
    expect(deliveries.deadLetters('broken-webhook')).toEqual([]);
    expect(
      r.requests
        .slice(-2)
        .map((q) => q.headers['webhook-id'])
        .sort(),
    ).toEqual([event.detail.eventId, second.detail.eventId].sort());
    expect((await log.state('broken-webhook')).paused).toBe(false);
  });

  it('replay by id delivers again with the same webhook-id, marked as a replay in the log', async () => {
    const r = await receiver(() => ({ status: 200, body: 'ok' }));
    const deliveries = local(`${r.url}/hook`, 'replayed');
    const event = callCompletedEvent();
    deliveries.handle([asStored(event)]);
    await r.until(1);
    await deliveries.idle();
    const { summaries } = await log.forEvent(String(event.detail.eventId));
    deliveries.replay('replayed-webhook', JSON.parse(summaries[0]!.event));
    await r.until(2);
    await deliveries.idle();
    expect(r.requests[1]!.headers['webhook-id']).toBe(r.requests[0]!.headers['webhook-id']);
    expect(new Webhook(WHSEC).verify(r.requests[1]!.body, r.requests[1]!.headers)).toEqual(event);
    const after = await log.forEvent(String(event.detail.eventId));
    expect(after.attempts.map((a) => a.replay)).toEqual([false, true]);
  });
});
