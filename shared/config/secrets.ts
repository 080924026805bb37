import { cacheUntilFailure } from '../cache-until-failure.ts';
import { secretString } from './secrets-client.ts';

type Env = Record<string, string | undefined>;

export function requiredEnv(env: Env, name: string, what: string): string {
  const value = env[name];
  if (!value) throw new Error(`${what} configuration: environment variable ${name} is required`);
  return value;
}

/**
 * A JSON value from Secrets Manager, read once per container and cached; a failed read is retried
 * on the next call. Never logged.
 */
export function secretJson<T>(secretId: string, check: (value: unknown) => T): () => Promise<T> {
  return cacheUntilFailure(async () => {
    const value = await secretString(secretId);
    let parsed: unknown;
    try {
      parsed = JSON.parse(value ?? '');
    } catch {
      throw new Error(`secret ${secretId} is not JSON`);
    }
    return check(parsed);
  });
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
