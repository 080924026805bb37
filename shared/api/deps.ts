import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ByrobotClient, type ByrobotClientOptions } from '../byrobot/client.ts';
import type { ApiConfig } from '../config/api.ts';
import type { BridgeEvent } from '../events/builders.ts';
import { type PublishResult, publishEvents } from '../events/publisher.ts';
import { IdempotencyStore } from '../http/idempotency.ts';
import type { HttpDeps } from '../http/stack.ts';
import { createObservability } from '../observability/powertools.ts';
import { createDocumentClient } from '../store/dynamo.ts';
import { ImportStore } from './import-store.ts';
import { type ChunkQueue, sqsChunkQueue } from './queue.ts';

export interface ApiDeps extends HttpDeps {
  byrobot: () => Promise<ByrobotClient>;
  doc: DynamoDBDocumentClient;
  tableName: string;
  imports: ImportStore;
  queue: ChunkQueue;
  publish: (events: readonly BridgeEvent[]) => Promise<PublishResult>;
  /** Scene variables per `company:scene`, cached for the container's life. */
  sceneVariables: Map<string, Promise<string[]>>;
}

/**
 * Builds the API's adapters once per container from configuration. Tests and the local stack pass
 * their own queue and client options; everything else is the same code that runs on AWS.
 */
export function createApiDeps(
  config: ApiConfig,
  service: string,
  overrides: { queue?: ChunkQueue; client?: Partial<ByrobotClientOptions>; now?: () => number } = {},
): ApiDeps {
  const { logger, metrics } = createObservability(service);
  const doc = createDocumentClient({ endpoint: config.dynamoEndpoint });
  const eventBridge = new EventBridgeClient(
    config.eventBridgeEndpoint
      ? {
          endpoint: config.eventBridgeEndpoint,
          region: process.env.AWS_REGION ?? 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {},
  );
  let client: Promise<ByrobotClient> | undefined;
  let queue = overrides.queue;
  return {
    logger,
    metrics,
    apiKeys: config.apiKeys,
    webhookSources: config.webhookSources,
    idempotency: new IdempotencyStore(doc, config.tableName),
    now: overrides.now,
    byrobot: () => {
      client ??= config.credentials().then(
        (c) =>
          new ByrobotClient({
            baseUrl: config.byrobotBaseUrl,
            appKey: c.appKey,
            appSecret: c.appSecret,
            ...overrides.client,
          }),
      );
      client.catch(() => {
        client = undefined;
      });
      return client;
    },
    doc,
    tableName: config.tableName,
    imports: new ImportStore(doc, config.tableName),
    get queue(): ChunkQueue {
      if (!queue) {
        if (!config.importQueueUrl)
          throw new Error('API configuration: IMPORT_QUEUE_URL is required for large imports');
        queue = sqsChunkQueue(new SQSClient({}), config.importQueueUrl);
      }
      return queue;
    },
    publish: (events) =>
      publishEvents(events, {
        client: eventBridge,
        eventBusName: config.eventBusName,
        source: config.eventSource,
      }),
    sceneVariables: new Map(),
  };
}
