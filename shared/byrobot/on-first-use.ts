import { ByrobotClient, type ByrobotClientOptions } from '../byrobot/client.ts';
import type { ApiConfig } from '../config/api.ts';

/**
 * The byrobot client for a function that calls byrobot: created on first use from the credentials
 * secret, once per container; a failed read is retried on the next call. Passed to createApiDeps by
 * the entries whose routes call byrobot, so the others (health, openapi, get-import) bundle no client.
 */
export function byrobotClientFor(
  config: ApiConfig,
  options: Partial<ByrobotClientOptions> = {},
): () => Promise<ByrobotClient> {
  let client: Promise<ByrobotClient> | undefined;
  return () => {
    client ??= config.credentials().then(
      (c) =>
        new ByrobotClient({
          baseUrl: config.byrobotBaseUrl,
          appKey: c.appKey,
          appSecret: c.appSecret,
          ...options,
        }),
    );
    client.catch(() => {
      client = undefined;
    });
    return client;
  };
}
