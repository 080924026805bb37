import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import {
  type ApiKeyConfig,
  ApiKeysSchema,
  type WebhookSourceConfig,
  WebhookSourcesSchema,
} from '../shared/config/api.ts';
import { hashApiKey } from '../shared/http/auth.ts';

type Env = Record<string, string | undefined>;

export interface LocalAccess {
  apiKeys: ApiKeyConfig[];
  webhookSources: WebhookSourceConfig[];
  /** One line for the banner: where the keys and sources came from (no key or secret in it). */
  describe: string;
}

/**
 * One of the deployed shapes (docs/api.md), from `<NAME>_JSON` or the file `<NAME>_FILE` names, or
 * undefined when neither is set. A bad value fails naming the variable and the rule.
 */
function readShape<S extends v.GenericSchema>(
  env: Env,
  name: string,
  schema: S,
): v.InferOutput<S> | undefined {
  const json = env[`${name}_JSON`];
  const file = env[`${name}_FILE`];
  if (json && file) throw new Error(`configuration: set ${name}_JSON or ${name}_FILE, not both`);
  const from = json ? `${name}_JSON` : `${name}_FILE (${file})`;
  if (!json && !file) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json ?? readFileSync(file!, 'utf8'));
  } catch (error) {
    throw new Error(`configuration: ${from} must be JSON: ${(error as Error).message}`);
  }
  const result = v.safeParse(schema, value);
  if (!result.success) throw new Error(`configuration: ${from}: ${v.summarize(result.issues)}`);
  return result.output;
}

/**
 * The local stack's API keys and webhook sources: the same shapes a deployed stage keeps in Secrets
 * Manager (API_KEYS_SECRET, WEBHOOK_SOURCES_SECRET), here from API_KEYS_JSON / API_KEYS_FILE and
 * WEBHOOK_SOURCES_JSON / WEBHOOK_SOURCES_FILE, so scopes (403) and mappings can be tried locally.
 * Without them: one key with every scope (LOCAL_API_KEY, default local-dev-key) and one source,
 * local-crm, with the given secret.
 */
export function readLocalAccess(env: Env, defaults: { apiKey: string; webhookSecret: string }): LocalAccess {
  const keys = readShape(env, 'API_KEYS', ApiKeysSchema);
  const sources = readShape(env, 'WEBHOOK_SOURCES', WebhookSourcesSchema);
  const apiKeys = keys?.keys ?? [
    {
      id: 'local',
      hash: hashApiKey(defaults.apiKey),
      scopes: ['control', 'create', 'import', 'read'],
      companies: '*',
    },
  ];
  const webhookSources = sources?.sources ?? [
    { name: 'local-crm', secrets: [defaults.webhookSecret], companies: '*', onMissingVariables: 'pass' },
  ];
  const origin = (name: string) => (env[`${name}_JSON`] ? `${name}_JSON` : `${name}_FILE`);
  const describe = [
    keys
      ? `API keys from ${origin('API_KEYS')}: ${apiKeys.map((k) => `${k.id} (${k.scopes.join(',')})`).join(', ')}`
      : null,
    sources
      ? `webhook sources from ${origin('WEBHOOK_SOURCES')}: ${webhookSources.map((s) => s.name).join(', ')}`
      : null,
  ]
    .filter(Boolean)
    .join('; ');
  return { apiKeys, webhookSources, describe };
}
