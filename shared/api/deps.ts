import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ByrobotClient, type ByrobotClientOptions } from '../byrobot/client.ts';
import type { ApiConfig } from '../config/api.ts';
import type { BridgeEvent } from '../events/builders.ts';
import type { PublishResult } from '../events/publisher.ts';
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
  // EventBridge (only the import worker publishes) and SQS (only large imports) are loaded on first
  // use: every other function's cold start skips evaluating those SDK clients.
  let eventBridge: Promise<(events: readonly BridgeEvent[]) => Promise<PublishResult>> | undefined;
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
        const queueUrl = config.importQueueUrl;
        if (!queueUrl) throw new Error('API configuration: IMPORT_QUEUE_URL is required for large imports');
        let sqs: Promise<ChunkQueue> | undefined;
        queue = {
          send: async (messages) => {
            sqs ??= import('./queue.ts').then(({ awsChunkQueue }) => awsChunkQueue(queueUrl));
            return (await sqs).send(messages);
          },
        };
      }
      return queue;
    },
    publish: async (events) => {
      eventBridge ??= import('../events/bus-client.ts').then(({ busPublisher }) =>
        busPublisher({
          eventBusName: config.eventBusName,
          source: config.eventSource,
          endpoint: config.eventBridgeEndpoint,
        }),
      );
      eventBridge.catch(() => {
        eventBridge = undefined;
      });
      return (await eventBridge)(events);
    },
    sceneVariables: new Map(),
  };
}
