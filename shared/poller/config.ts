import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface PollerConfig {
  tableName: string;
  eventBusName: string;
  eventSource: string;
  byrobotBaseUrl: string;
  /** Resolved lazily: on AWS from Secrets Manager, locally from the environment. */
  credentials: () => Promise<{ appKey: string; appSecret: string }>;
  /** Company ids to poll, or 'all' (every company the app key manages). */
  companies: number[] | 'all';
  backfill: boolean;
  maxInFlight: number;
  dynamoEndpoint?: string;
  eventBridgeEndpoint?: string;
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`poller configuration: environment variable ${name} is required`);
  return value;
}

/**
 * Reads the poller's configuration once, failing fast with the name of what is missing.
 * Credentials: BYROBOT_APP_KEY + BYROBOT_APP_SECRET, or BYROBOT_CREDENTIALS_SECRET naming a Secrets
 * Manager secret whose value is `{"appKey": "…", "appSecret": "…"}`.
 */
export function readPollerConfig(env: Env = process.env): PollerConfig {
  const companiesText = env.POLL_COMPANIES?.trim() || 'all';
  let companies: number[] | 'all' = 'all';
  if (companiesText !== 'all') {
    companies = companiesText.split(',').map((s) => Number(s.trim()));
    if (companies.some((n) => !Number.isInteger(n) || n <= 0)) {
      throw new Error(
        `poller configuration: POLL_COMPANIES must be "all" or company ids like "1,2", got "${companiesText}"`,
      );
    }
  }
  const maxInFlight = Number(env.BYROBOT_MAX_IN_FLIGHT ?? 4);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new Error('poller configuration: BYROBOT_MAX_IN_FLIGHT must be a whole number ≥ 1');
  }
  const secretName = env.BYROBOT_CREDENTIALS_SECRET;
  if (!secretName) {
    required(env, 'BYROBOT_APP_KEY');
    required(env, 'BYROBOT_APP_SECRET');
  }
  return {
    tableName: required(env, 'TABLE_NAME'),
    eventBusName: required(env, 'EVENT_BUS_NAME'),
    eventSource: env.EVENT_SOURCE || 'byrobot.bridge',
    byrobotBaseUrl: env.BYROBOT_BASE_URL || 'https://api.byrobot.cn',
    credentials: secretName
      ? secretCredentials(secretName)
      : async () => ({ appKey: env.BYROBOT_APP_KEY!, appSecret: env.BYROBOT_APP_SECRET! }),
    companies,
    backfill: env.POLL_BACKFILL === 'true',
    maxInFlight,
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    eventBridgeEndpoint: env.EVENTBRIDGE_ENDPOINT || undefined,
  };
}

function secretCredentials(secretId: string) {
  let cached: Promise<{ appKey: string; appSecret: string }> | undefined;
  return () => {
    cached ??= (async () => {
      const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
      const value = JSON.parse(out.SecretString ?? '{}') as { appKey?: string; appSecret?: string };
      if (!value.appKey || !value.appSecret) {
        throw new Error(`secret ${secretId} must be JSON with appKey and appSecret`);
      }
      return { appKey: value.appKey, appSecret: value.appSecret };
    })().catch((error: unknown) => {
      cached = undefined; // a failed read is retried on the next invocation
      throw error;
    });
    return cached;
  };
}
