import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig, Scope, WebhookSourceConfig } from '../config/api.ts';

/** Who is calling, once authenticated. */
export interface Principal {
  kind: 'api-key' | 'webhook' | 'callback';
  /** The key id or the webhook source name: scopes idempotency records and logs. */
  id: string;
  scopes: readonly Scope[];
  companies: '*' | readonly number[];
  source?: WebhookSourceConfig;
}

export const hashApiKey = (key: string) => `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;

/**
 * The key whose hash matches the bearer token, compared in constant time against every stored hash
 * (so timing tells nothing about which, or whether, one matched).
 */
export function findApiKey(
  authorization: string | undefined,
  keys: readonly ApiKeyConfig[],
): ApiKeyConfig | null {
  const m = /^Bearer\s+(\S{8,512})$/i.exec(authorization ?? '');
  if (!m) return null;
  const presented = Buffer.from(hashApiKey(m[1]!));
  let found: ApiKeyConfig | null = null;
  for (const key of keys) {
    const stored = Buffer.from(key.hash);
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) found = key;
  }
  return found;
}

export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Standard Webhooks verification (https://www.standardwebhooks.com/): HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${raw body}` with the secret's bytes (`whsec_<base64>`),
 * signatures `v1,<base64>` separated by spaces, the timestamp within ±300 s. Any of the source's
 * secrets may match, so a secret can be rotated without downtime.
 */
export function verifyWebhook(
  headers: { id?: string; timestamp?: string; signature?: string },
  rawBody: string,
  secrets: readonly string[],
  nowSeconds: number,
): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) return false;
  const signed = `${id}.${timestamp}.${rawBody}`;
  const given = signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
      .update(signed, 'utf8')
      .digest();
    for (const g of given) if (g.length === expected.length && timingSafeEqual(g, expected)) ok = true;
  }
  return ok;
}

/** Signs a request as Standard Webhooks does (tests, and the CLI's `webhook send`). */
export function signWebhook(secret: string, id: string, timestamp: number, rawBody: string): string {
  const mac = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(
    `${id}.${timestamp}.${rawBody}`,
    'utf8',
  );
  return `v1,${mac.digest('base64')}`;
}

export function allowsCompany(principal: Principal, companyId: number): boolean {
  return principal.companies === '*' || principal.companies.includes(companyId);
}
