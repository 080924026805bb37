import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

type Env = Record<string, string | undefined>;

export function requiredEnv(env: Env, name: string, what: string): string {
  const value = env[name];
  if (!value) throw new Error(`${what} configuration: environment variable ${name} is required`);
  return value;
}

/**
 * How long a container keeps a secret's value before reading it again: a revoked API key or a
 * rotated webhook secret stops working within this, without waiting for Lambda to recycle it.
 */
export const SECRET_MAX_AGE_SECONDS = 60;

/**
 * A JSON value from Secrets Manager, read through Powertools Parameters, which keeps it for
 * SECRET_MAX_AGE_SECONDS and never keeps a failed read (the next call tries again). Checked once
 * per value read, never logged.
 */
export function secretJson<T>(secretId: string, check: (value: unknown) => T): () => Promise<T> {
  let last: { text: string; value: T } | undefined;
  return async () => {
    const text = await getSecret(secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
    if (typeof text !== 'string') throw new Error(`secret ${secretId} has no string value`);
    if (last?.text !== text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(`secret ${secretId} is not JSON`);
      }
      last = { text, value: check(parsed) };
    }
    return last.value;
  };
}

/** A JSON value from an environment variable (local stack, tests), checked the same way. */
export function envJson<T>(env: Env, name: string, check: (value: unknown) => T): () => Promise<T> {
  let value: T;
  try {
    value = check(JSON.parse(env[name] ?? ''));
  } catch (error) {
    throw new Error(`configuration: ${name} must be JSON: ${(error as Error).message}`);
  }
  return async () => value;
}

export interface ByrobotCredentials {
  appKey: string;
  appSecret: string;
}

function checkCredentials(value: unknown): ByrobotCredentials {
  const v = value as Partial<ByrobotCredentials> | null;
  if (!v?.appKey || !v.appSecret)
    throw new Error('byrobot credentials must be JSON with appKey and appSecret');
  return { appKey: v.appKey, appSecret: v.appSecret };
}

/**
 * byrobot credentials: BYROBOT_CREDENTIALS_SECRET names a Secrets Manager secret
 * `{"appKey": "…", "appSecret": "…"}` (AWS); otherwise BYROBOT_APP_KEY and BYROBOT_APP_SECRET (local).
 */
export function byrobotCredentials(env: Env, what: string): () => Promise<ByrobotCredentials> {
  if (env.BYROBOT_CREDENTIALS_SECRET) return secretJson(env.BYROBOT_CREDENTIALS_SECRET, checkCredentials);
  const appKey = requiredEnv(env, 'BYROBOT_APP_KEY', what);
  const appSecret = requiredEnv(env, 'BYROBOT_APP_SECRET', what);
  return async () => ({ appKey, appSecret });
}

/** What the API's functions and the poller read alike (readApiConfig, readPollerConfig). */
export interface BridgeConfig {
  tableName: string;
  eventBusName: string;
  eventSource: string;
  byrobotBaseUrl: string;
  /** Resolved lazily: on AWS from Secrets Manager, locally from the environment. */
  credentials: () => Promise<ByrobotCredentials>;
  dynamoEndpoint?: string;
  eventBridgeEndpoint?: string;
}

export function readBridgeConfig(env: Env, what: string): BridgeConfig {
  return {
    tableName: requiredEnv(env, 'TABLE_NAME', what),
    eventBusName: requiredEnv(env, 'EVENT_BUS_NAME', what),
    eventSource: env.EVENT_SOURCE || 'byrobot.bridge',
    byrobotBaseUrl: env.BYROBOT_BASE_URL || 'https://api.byrobot.cn',
    credentials: byrobotCredentials(env, what),
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    eventBridgeEndpoint: env.EVENTBRIDGE_ENDPOINT || undefined,
  };
}
