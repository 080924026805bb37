import * as v from 'valibot';
import { callbackTokenFromSecret, TokenSchema } from '../callbacks/token.ts';
import { ImportMappingSchema } from '../imports/mapping.ts';
import { type BridgeConfig, envJson, readBridgeConfig, secretJson } from './secrets.ts';

export const SCOPES = ['control', 'create', 'import', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

const companies = v.union([
  v.literal('*'),
  v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1))), v.minLength(1)),
]);

/**
 * API keys are stored only as SHA-256 hashes: `sha256:<64 hex>` of the key a caller sends as
 * `Authorization: Bearer <key>`. Each key has scopes and the companies it may act on.
 */
export const ApiKeysSchema = v.strictObject({
  keys: v.array(
    v.strictObject({
      id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
      hash: v.pipe(v.string(), v.regex(/^sha256:[0-9a-f]{64}$/, 'hash must be sha256:<64 lowercase hex>')),
      scopes: v.pipe(v.array(v.picklist(SCOPES)), v.minLength(1)),
      companies,
    }),
  ),
});

/**
 * Webhook sources: each has its own Standard Webhooks secrets (several at once, for rotation), the
 * companies it may import into, an optional field mapping for its own payload, and what to do with
 * rows missing a robot-script variable.
 */
export const WebhookSourcesSchema = v.strictObject({
  sources: v.array(
    v.strictObject({
      name: v.pipe(
        v.string(),
        v.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'source names are lowercase letters, digits and dashes'),
      ),
      secrets: v.pipe(
        v.array(
          v.pipe(v.string(), v.regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'secrets look like whsec_<base64>')),
        ),
        v.minLength(1),
      ),
      companies,
      mapping: v.optional(ImportMappingSchema),
      onMissingVariables: v.optional(v.picklist(['reject', 'pass']), 'pass'),
    }),
  ),
});

export type ApiKeyConfig = v.InferOutput<typeof ApiKeysSchema>['keys'][number];
export type WebhookSourceConfig = v.InferOutput<typeof WebhookSourcesSchema>['sources'][number];

export interface ApiConfig extends BridgeConfig {
  apiKeys: () => Promise<ApiKeyConfig[]>;
  webhookSources: () => Promise<WebhookSourceConfig[]>;
  /** The import queue (AWS); absent locally, where the local queue is wired in code. */
  importQueueUrl?: string;
  /**
   * byrobot's callback token (POST /byrobot/callback/{token}): CALLBACK_TOKEN_SECRET on AWS,
   * LOCAL_CALLBACK_TOKEN or `local-callback-token` locally. Absent: every callback is refused 401.
   */
  callbackToken?: () => Promise<string>;
  /** Source IPs callbacks may come from (CALLBACK_SOURCE_IPS, comma-separated); empty: any. */
  callbackSourceIps?: readonly string[];
  /** Check byrobot's callback `sign`/`dateTime` (CALLBACK_SIGNATURE=on). @default false */
  callbackSignature?: boolean;
  /** The callback queue (AWS: CALLBACK_QUEUE_URL); absent locally. */
  callbackQueueUrl?: string;
}

type Env = Record<string, string | undefined>;

const parse =
  <T extends v.GenericSchema>(schema: T) =>
  (value: unknown): v.InferOutput<T> => {
    const result = v.safeParse(schema, value);
    if (!result.success) throw new Error(v.summarize(result.issues));
    return result.output;
  };

/**
 * The HTTP API's configuration, read once per container. Keys and webhook sources come from Secrets
 * Manager on AWS (API_KEYS_SECRET, WEBHOOK_SOURCES_SECRET; read again after a minute, so a revoked
 * key or rotated secret takes effect without a redeploy) or JSON in the environment locally
 * (API_KEYS_JSON, WEBHOOK_SOURCES_JSON). A missing variable fails here, naming it.
 */
export function readApiConfig(env: Env = process.env): ApiConfig {
  const keys = env.API_KEYS_SECRET
    ? secretJson(env.API_KEYS_SECRET, parse(ApiKeysSchema))
    : envJson(env, 'API_KEYS_JSON', parse(ApiKeysSchema));
  const sources = env.WEBHOOK_SOURCES_SECRET
    ? secretJson(env.WEBHOOK_SOURCES_SECRET, parse(WebhookSourcesSchema))
    : env.WEBHOOK_SOURCES_JSON
      ? envJson(env, 'WEBHOOK_SOURCES_JSON', parse(WebhookSourcesSchema))
      : async () => ({ sources: [] });
  return {
    ...readBridgeConfig(env, 'API'),
    apiKeys: async () => (await keys()).keys,
    webhookSources: async () => (await sources()).sources,
    importQueueUrl: env.IMPORT_QUEUE_URL || undefined,
    ...readCallbackConfig(env),
  };
}

/** The callback route's settings from the environment (infra/stack.ts sets them from the stage). */
export function readCallbackConfig(
  env: Env,
): Pick<ApiConfig, 'callbackToken' | 'callbackSourceIps' | 'callbackSignature' | 'callbackQueueUrl'> {
  let callbackToken: (() => Promise<string>) | undefined;
  if (env.CALLBACK_TOKEN_SECRET) callbackToken = callbackTokenFromSecret(env.CALLBACK_TOKEN_SECRET);
  else if (env.LOCAL_CALLBACK_TOKEN) {
    const token = parse(TokenSchema)(env.LOCAL_CALLBACK_TOKEN);
    callbackToken = async () => token;
  }
  const ips = (env.CALLBACK_SOURCE_IPS ?? '')
    .split(',')
    .map((ip) => ip.trim())
    .filter(Boolean);
  const signature = env.CALLBACK_SIGNATURE ?? 'off';
  if (signature !== 'on' && signature !== 'off')
    throw new Error(`configuration: CALLBACK_SIGNATURE must be on or off (got ${signature.slice(0, 20)})`);
  return {
    callbackToken,
    callbackSourceIps: ips,
    callbackSignature: signature === 'on',
    callbackQueueUrl: env.CALLBACK_QUEUE_URL || undefined,
  };
}
