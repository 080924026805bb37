import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ByrobotClient } from '../byrobot/client.ts';
import type { ApiConfig } from '../config/api.ts';
import type { DeliveryControl } from '../delivery/control.ts';
import type { Publisher } from '../events/bus-client.ts';
import { IdempotencyStore } from '../http/idempotency.ts';
import type { HttpDeps } from '../http/stack.ts';
import { createObservability } from '../observability/powertools.ts';
import { createDocumentClient } from '../store/dynamo.ts';
import { ImportStore } from './import-store.ts';
import type { ChunkQueue } from './queue.ts';

export interface ApiDeps extends HttpDeps {
  byrobot: () => Promise<ByrobotClient>;
  doc: DynamoDBDocumentClient;
  tableName: string;
  imports: ImportStore;
  queue: ChunkQueue;
  publish: Publisher;
  /** Scene variables per `company:scene`, cached for the container's life. */
  sceneVariables: Map<string, Promise<string[]>>;
  /** Replay and resume (delivery-action only): SQS on AWS, the local runner locally. */
  deliveries?: DeliveryControl;
}

/**
 * Builds the API's adapters once per container from configuration. Tests and the local stack pass
 * their own queue, publisher and byrobot client options; everything else is the same code that runs
 * on AWS.
 */
export function createApiDeps(
  config: ApiConfig,
  service: string,
  overrides: {
    /** Where large imports' chunks go: SQS (`awsChunkQueueOnFirstUse`) on AWS, the local queue locally. */
    queue?: ChunkQueue;
    /** How the import worker publishes `Import Completed` (`busPublisherOnFirstUse`). */
    publish?: Publisher;
    /** For the routes that call byrobot (`byrobotClientOnFirstUse` in shared/byrobot/on-first-use.ts). */
    byrobot?: () => Promise<ByrobotClient>;
    now?: () => number;
    deliveries?: DeliveryControl;
  } = {},
): ApiDeps {
  const { logger, metrics } = createObservability(service);
  const doc = createDocumentClient({ endpoint: config.dynamoEndpoint });
  // Only the functions that need them pass a byrobot client, a queue or a publisher: the others'
  // bundles and cold starts then carry none of them (docs/performance.md).
  const missing = (what: string): never => {
    throw new Error(`${service}: no ${what} was given to createApiDeps`);
  };
  return {
    logger,
    metrics,
    apiKeys: config.apiKeys,
    webhookSources: config.webhookSources,
    idempotency: new IdempotencyStore(doc, config.tableName),
    now: overrides.now,
    byrobot: () => (overrides.byrobot ?? missing('byrobot client'))(),
    doc,
    tableName: config.tableName,
    imports: new ImportStore(doc, config.tableName),
    get queue(): ChunkQueue {
      return overrides.queue ?? missing('import queue');
    },
    publish: (events) => (overrides.publish ?? missing('event publisher'))(events),
    sceneVariables: new Map(),
    deliveries: overrides.deliveries,
  };
}
