import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readApiConfig } from '../../shared/config/api.ts';
import { SECRET_MAX_AGE_SECONDS } from '../../shared/config/secrets.ts';
import { findApiKey, hashApiKey, signWebhook, verifyWebhook } from '../../shared/http/auth.ts';
import { startSecretsManager } from '../support/secrets-manager.ts';

/*
 * Secrets as a Lambda container reads them: from a Secrets Manager endpoint (the SDK's JSON
 * protocol, test/support/secrets-manager.ts), kept for SECRET_MAX_AGE_SECONDS. Only Date is faked,
 * so the cache's clock moves while the HTTP requests are real.
 */

const KEYS = 'byrobot-bridge/test/expiry-api-keys';
const SOURCES = 'byrobot-bridge/test/expiry-webhook-sources';
const OLD_KEY = 'expiry-test-key-00000000000000001';
const NEW_KEY = 'expiry-test-key-00000000000000002';
const OLD_SECRET = `whsec_${Buffer.from('expiry-old-webhook-secret-012345').toString('base64')}`;
const NEW_SECRET = `whsec_${Buffer.from('expiry-new-webhook-secret-012345').toString('base64')}`;

const keyEntry = (key: string) => ({
  id: key.slice(-1),
  hash: hashApiKey(key),
  scopes: ['read'],
  companies: '*',
});
const sourceEntry = (secret: string) => ({ sources: [{ name: 'crm', secrets: [secret], companies: [1] }] });

const secrets: Record<string, unknown> = {};
let endpoint: Awaited<ReturnType<typeof startSecretsManager>>;
const saved = { ...process.env };

beforeAll(async () => {
  endpoint = await startSecretsManager(secrets);
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.endpoint,
  });
});

afterAll(async () => {
  process.env = saved;
  await endpoint.close();
});

afterEach(() => {
  vi.useRealTimers();
});

/** A fresh container's configuration, with the clock at `start`. */
function container(start: number) {
  vi.useFakeTimers({ toFake: ['Date'], now: start });
  return readApiConfig({
    TABLE_NAME: 't',
    EVENT_BUS_NAME: 'b',
    API_KEYS_SECRET: KEYS,
    WEBHOOK_SOURCES_SECRET: SOURCES,
    BYROBOT_APP_KEY: 'local',
    BYROBOT_APP_SECRET: 'local',
  });
}

const signed = (secret: string, at: number) => {
  const ts = Math.floor(at / 1000);
  return { id: 'msg_1', timestamp: String(ts), signature: signWebhook(secret, 'msg_1', ts, '{}') };
};

describe('Secrets read from Secrets Manager, kept for a minute at most', () => {
  it('a revoked API key stops working once its cached value expires, not at container recycle', async () => {
    secrets[KEYS] = { keys: [keyEntry(OLD_KEY)] };
    const start = Date.UTC(2026, 11, 1, 12);
    const config = container(start);
    expect(findApiKey(`Bearer ${OLD_KEY}`, await config.apiKeys())?.id).toBe('1');
    const reads = endpoint.reads.filter((r) => r === KEYS).length;

    secrets[KEYS] = { keys: [keyEntry(NEW_KEY)] };
    vi.setSystemTime(start + (SECRET_MAX_AGE_SECONDS - 1) * 1000);
    // Still the cached value: no read within the minute.
    expect(findApiKey(`Bearer ${OLD_KEY}`, await config.apiKeys())?.id).toBe('1');
    expect(endpoint.reads.filter((r) => r === KEYS)).toHaveLength(reads);

    vi.setSystemTime(start + (SECRET_MAX_AGE_SECONDS + 1) * 1000);
    const keys = await config.apiKeys();
    expect(findApiKey(`Bearer ${OLD_KEY}`, keys)).toBeNull();
    expect(findApiKey(`Bearer ${NEW_KEY}`, keys)?.id).toBe('2');
    expect(SECRET_MAX_AGE_SECONDS).toBeLessThanOrEqual(60);
  });

  it('a rotated webhook secret replaces the old one within the minute', async () => {
    secrets[SOURCES] = sourceEntry(OLD_SECRET);
    const start = Date.UTC(2026, 11, 1, 13);
    const config = container(start);
    const verifies = async (secret: string, at: number) => {
      const [crm] = await config.webhookSources();
      return verifyWebhook(signed(secret, at), '{}', crm!.secrets, Math.floor(at / 1000));
    };
    expect(await verifies(OLD_SECRET, start)).toBe(true);

    secrets[SOURCES] = sourceEntry(NEW_SECRET);
    const later = start + (SECRET_MAX_AGE_SECONDS + 1) * 1000;
    vi.setSystemTime(later);
    expect(await verifies(OLD_SECRET, later)).toBe(false);
    expect(await verifies(NEW_SECRET, later)).toBe(true);
  });

  it('does not keep a failed read: the next call reads again', async () => {
    delete secrets[KEYS];
    const config = container(Date.UTC(2026, 11, 1, 14));
    await expect(config.apiKeys()).rejects.toThrow();
    secrets[KEYS] = { keys: [keyEntry(OLD_KEY)] };
    expect(findApiKey(`Bearer ${OLD_KEY}`, await config.apiKeys())?.id).toBe('1');
  });
});
