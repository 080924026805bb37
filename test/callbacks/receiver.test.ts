import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../local/api-server/index.ts';
import { computeSignature } from '../../shared/byrobot/signing.ts';
import { type CallbackMessage, sqsCallbackQueue } from '../../shared/callbacks/queue.ts';
import { RejectedCallbacks } from '../../shared/callbacks/rejected.ts';
import { LOCAL_CALLBACK_TOKEN } from '../../shared/callbacks/token.ts';
import { captureJsonLines } from '../support/log-capture.ts';
import { startSqs } from '../support/sqs.ts';
import { type CallbackStack, fixture, JSON_TYPE, startCallbackStack, TEXT_TYPE } from './support.ts';

/*
 * The receiver: what it answers, what it stores, and that a failure to store never answers
 * `success`. Everything by real HTTP through the local API server; the SQS failure against the SQS
 * test endpoint (test/support/sqs.ts) through the AWS adapter, the DynamoDB failure against
 * dynalite (a table that does not exist).
 */
let s: CallbackStack;
const logs: string[] = [];
let restoreLogs: () => void;
const today = () => new Date().toISOString().slice(0, 10);
const rejected = () => new RejectedCallbacks(s.deps.doc, s.deps.tableName).list(today());
const withCall = (callInstanceId: number) => {
  const body = JSON.parse(fixture('call-record'));
  body.data.data.sceneInstance.callInstanceId = callInstanceId;
  return JSON.stringify(body);
};

beforeAll(async () => {
  const before = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  try {
    s = (await startCallbackStack()) as CallbackStack;
  } finally {
    process.env.POWERTOOLS_LOG_LEVEL = before;
  }
  restoreLogs = captureJsonLines(logs);
});
afterAll(async () => {
  restoreLogs?.();
  await s?.close();
});

describe('POST /byrobot/callback/{token}', () => {
  it('a wrong token is 401 problem+json; nothing stored, nothing queued; counted', async () => {
    const sent = s.callbackQueue.stats.sent;
    const before = (await rejected()).length;
    const reply = await s.post(fixture('call-record'), JSON_TYPE, 'wrong-token-0123456789');
    expect(reply.status).toBe(401);
    expect(reply.type).toBe('application/problem+json');
    expect(reply.text).not.toContain('success');
    expect(s.callbackQueue.stats.sent).toBe(sent);
    expect(await rejected()).toHaveLength(before);
    expect(s.metrics.CallbackAuthFailures).toBe(1);
    // A token that differs only in its last character is refused the same way.
    const near = `${LOCAL_CALLBACK_TOKEN.slice(0, -1)}X`;
    expect((await s.post(fixture('call-record'), JSON_TYPE, near)).status).toBe(401);
  });

  it('malformed JSON is kept for inspection, counted, and answered success', async () => {
    const body = '{"code":200,"data":{"dataType":"CALL_INSTANCE_RESULT","data":{"sceneInstance":{,}}}';
    const reply = await s.post(body, TEXT_TYPE);
    expect(reply).toMatchObject({ status: 200, text: 'success' });
    const kept = (await rejected()).find((r) => r.body === body);
    expect(kept).toMatchObject({ contentType: TEXT_TYPE, bodyTruncated: false, dataType: null });
    expect(kept!.reason).toMatch(/^malformed JSON/);
    expect(s.metrics.CallbacksUnprocessable).toBeGreaterThanOrEqual(1);
  });

  it('an unknown dataType and a call record without an id are kept, each naming what is wrong', async () => {
    const unknown = JSON.stringify({ code: 200, data: { dataType: 'SMS_RESULT', data: {} } });
    const noId = JSON.parse(fixture('call-record'));
    delete noId.data.data.sceneInstance.callInstanceId;
    const sent = s.callbackQueue.stats.sent;
    expect(await s.post(unknown)).toMatchObject({ status: 200, text: 'success' });
    expect(await s.post(JSON.stringify(noId))).toMatchObject({ status: 200, text: 'success' });
    // A transcript that is not a list would fail the processor on every delivery: refused here.
    const badTranscript = JSON.parse(fixture('call-record'));
    badTranscript.data.data.phoneLog.phoneLogs = '张三 13800138000';
    expect(await s.post(JSON.stringify(badTranscript))).toMatchObject({ status: 200, text: 'success' });
    const reasons = (await rejected()).map((r) => r.reason);
    expect(reasons).toContain('data.dataType: unknown "SMS_RESULT"');
    expect(reasons).toContain('data.data.sceneInstance.callInstanceId: missing or not an id');
    expect(reasons).toContain('data.data.phoneLog.phoneLogs: Invalid type: Expected Array');
    expect(s.callbackQueue.stats.sent).toBe(sent);
  });

  it('a body without a Content-Type is taken as JSON', async () => {
    expect(await s.post(withCall(77), null)).toMatchObject({ status: 200, text: 'success' });
    await s.drained();
    expect(s.ofType('Call Completed').filter((e) => e.detail.callInstanceId === 77)).toHaveLength(1);
  });

  it('the token never reaches a log line', async () => {
    await s.post('not json', TEXT_TYPE);
    await s.post(fixture('call-record'), JSON_TYPE, 'wrong-token-0123456789');
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      expect(line).not.toContain(LOCAL_CALLBACK_TOKEN);
      expect(line).not.toContain('wrong-token-0123456789');
    }
  });
});

describe('storing fails: the answer is never success', () => {
  let sqs: Awaited<ReturnType<typeof startSqs>>;
  let api: Awaited<ReturnType<typeof startApiServer>>;
  const post = (base: string, body: string) =>
    fetch(`${base}/byrobot/callback/${LOCAL_CALLBACK_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body,
    }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), text: await r.text() }));
  beforeAll(async () => {
    sqs = await startSqs();
    const client = new SQSClient({
      endpoint: sqs.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 2,
    });
    // The receiver as deployed: the AWS queue adapter, SendMessage over HTTP.
    api = await startApiServer({
      deps: { ...s.deps, callbackQueue: sqsCallbackQueue(`${sqs.endpoint}/000000000000/callbacks`, client) },
    });
  });
  afterAll(async () => {
    await api?.close();
    await sqs?.close();
  });

  it('SQS accepts: success, and the message is what the processor reads', async () => {
    const reply = await post(api.url, fixture('call-record'));
    expect(reply).toMatchObject({ status: 200, text: 'success' });
    const message = JSON.parse(sqs.messages.at(-1)!.body) as CallbackMessage;
    expect(message).toMatchObject({
      contentType: JSON_TYPE,
      body: fixture('call-record'),
      sourceIp: '127.0.0.1',
    });
    expect(Date.parse(message.receivedAt)).not.toBeNaN();
  });

  it('SQS fails: 503 problem+json, so that byrobot retries', async () => {
    const stored = sqs.messages.length;
    sqs.failing(10);
    const reply = await post(api.url, fixture('call-record'));
    sqs.failing(0);
    expect(reply.status).toBe(503);
    expect(reply.type).toBe('application/problem+json');
    expect(reply.text).not.toBe('success');
    expect(sqs.messages).toHaveLength(stored);
  });

  it('DynamoDB fails while keeping an unprocessable body: 503, not success', async () => {
    const broken = await startApiServer({ deps: { ...s.deps, tableName: 'no-such-table' } });
    try {
      const reply = await post(broken.url, '{not json');
      expect(reply.status).toBe(503);
      expect(reply.text).not.toBe('success');
    } finally {
      await broken.close();
    }
  });
});

describe('optional checks', () => {
  const serve = (callbacks: Partial<NonNullable<CallbackStack['deps']['callbacks']>>) =>
    startApiServer({ deps: { ...s.deps, callbacks: { ...s.deps.callbacks!, ...callbacks } } });

  it('a source IP outside the allowlist is 403; one in it is served', async () => {
    const outside = await serve({ sourceIps: ['120.55.46.3'] });
    const inside = await serve({ sourceIps: ['120.55.46.3', '127.0.0.1'] });
    try {
      const url = (base: string) => `${base}/byrobot/callback/${LOCAL_CALLBACK_TOKEN}`;
      const init = { method: 'POST', headers: { 'content-type': JSON_TYPE }, body: withCall(78) };
      const refused = await fetch(url(outside.url), init);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      const served = await fetch(url(inside.url), init);
      expect(served.status).toBe(200);
      expect(await served.text()).toBe('success');
    } finally {
      await outside.close();
      await inside.close();
    }
  });

  it('with the signature check on: a signed callback is queued, a bad or old one kept as unprocessable', async () => {
    const signed = await serve({ signature: true });
    try {
      const url = `${signed.url}/byrobot/callback/${LOCAL_CALLBACK_TOKEN}`;
      const bodyWith = (callInstanceId: number, dateTime: string, sign: string) => {
        const body = JSON.parse(fixture('call-record'));
        body.data.data.sceneInstance.callInstanceId = callInstanceId;
        Object.assign(body.data.data, { dateTime, sign });
        return JSON.stringify(body);
      };
      const now = new Date().toUTCString();
      const good = computeSignature('demo-key', 'demo-secret', now);
      const old = new Date(Date.now() - 11 * 60_000).toUTCString();
      const send = (body: string) =>
        fetch(url, { method: 'POST', headers: { 'content-type': JSON_TYPE }, body }).then((r) => r.text());
      const sent = s.callbackQueue.stats.sent;
      expect(await send(bodyWith(79, now, good))).toBe('success');
      expect(s.callbackQueue.stats.sent).toBe(sent + 1);
      expect(await send(bodyWith(80, now, `${good.slice(0, -2)}AA`))).toBe('success');
      expect(await send(bodyWith(81, old, computeSignature('demo-key', 'demo-secret', old)))).toBe('success');
      expect(s.callbackQueue.stats.sent).toBe(sent + 1);
      const reasons = (await rejected()).map((r) => r.reason);
      expect(reasons).toContain('signature: sign does not match');
      expect(reasons).toContain('signature: dateTime more than 10 minutes from our clock');
    } finally {
      await signed.close();
    }
  });
});
