import { cacheUntilFailure } from '../cache-until-failure.ts';
import { ByrobotClient, type ByrobotClientOptions } from './client.ts';

/** Where a function's byrobot client comes from: the API's base URL and the credentials secret. */
export interface ByrobotSource {
  byrobotBaseUrl: string;
  credentials: () => Promise<{ appKey: string; appSecret: string }>;
}

/**
 * A function's byrobot client, created on first use from the credentials secret and kept for the
 * container's life; a failed read is not kept, so the next call tries again. The poller and the
 * API entries whose routes call byrobot use it (the others bundle no client: docs/performance.md).
 */
export function byrobotClientOnFirstUse(
  source: ByrobotSource,
  options: Partial<ByrobotClientOptions> = {},
): () => Promise<ByrobotClient> {
  return cacheUntilFailure(async () => {
    const { appKey, appSecret } = await source.credentials();
    return new ByrobotClient({ baseUrl: source.byrobotBaseUrl, appKey, appSecret, ...options });
  });
}
