import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * DingTalk custom robot 加签: `sign` = base64(HMAC-SHA256(key = secret, message =
 * `${timestamp}\n${secret}`)), URL-encoded, with `timestamp` in milliseconds, both as query
 * parameters (https://open.dingtalk.com/document/robots/customize-robot-security-settings).
 */
export function dingtalkSignedUrl(webhookUrl: string, secret: string, nowMs: number): string {
  const timestamp = String(nowMs);
  const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
  const url = new URL(webhookUrl);
  url.searchParams.set('timestamp', timestamp);
  url.searchParams.set('sign', sign); // URLSearchParams percent-encodes +, / and =
  return url.toString();
}

/**
 * Feishu custom bot 签名校验: `sign` = base64(HMAC-SHA256(key = `${timestamp}\n${secret}`, message =
 * empty)), `timestamp` in seconds, both in the JSON body. Note the key/message swap against DingTalk
 * (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).
 */
export function feishuSignature(secret: string, nowMs: number): { timestamp: string; sign: string } {
  const timestamp = String(Math.floor(nowMs / 1000));
  const sign = createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
  return { timestamp, sign };
}

/**
 * Standard Webhooks headers (https://www.standardwebhooks.com/), signed by the `standardwebhooks`
 * package: `webhook-id` is the event's id, so a replay carries the same one and receivers dedupe it;
 * with several secrets (rotation) the signature header lists one `v1,…` per secret.
 */
export function standardWebhookHeaders(
  secrets: readonly string[],
  webhookId: string,
  nowMs: number,
  body: string,
): Record<string, string> {
  const timestamp = new Date(Math.floor(nowMs / 1000) * 1000);
  const signatures = secrets.map((s) => new Webhook(s).sign(webhookId, timestamp, body));
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
