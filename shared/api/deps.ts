import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ByrobotClient } from '../byrobot/client.ts';
import type { CallbackQueue } from '../callbacks/queue.ts';
import type { ApiConfig } from '../config/api.ts';
import type { DeliveryControl } from '../delivery/control.ts';
import type { Publisher } from '../events/bus-client.ts';
import { IdempotencyStore } from '../http/idempotency.ts';
import type { HttpDeps } from '../http/stack.ts';
import type { Client, ClientsOf, FunctionName } from '../manifest.ts';
import { withByrobotErrorMetrics } from '../observability/byrobot-metrics.ts';
import { createObservability } from '../observability/powertools.ts';
import { createDocumentClient } from '../store/dynamo.ts';
import { ImportStore } from './import-store.ts';
import type { ChunkQueue } from './queue.ts';

/** What each name in a record's `clients` (shared/manifest.ts) is. */
export interface Clients {
  /** `byrobotClientOnFirstUse` (shared/byrobot/on-first-use.ts). */
  byrobot: () => Promise<ByrobotClient>;
  /** Where large imports' chunks go: SQS (`awsChunkQueueOnFirstUse`) on AWS, the local queue locally. */
  queue: ChunkQueue;
  /** How `Import Completed` is published (`busPublisherOnFirstUse`). */
  publish: Publisher;
  /** Replay and resume of the deliverers (shared/delivery/): SQS on AWS, the local runner locally. */
  deliveries: DeliveryControl;
  /** Where byrobot's push callbacks are made durable: SQS (`sqsCallbackQueue`) on AWS, a local queue locally. */
  callbackQueue: CallbackQueue;
}

/** What every API function and the import worker get, whatever their record lists. */
export interface BaseDeps extends HttpDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  imports: ImportStore;
  /** Scene variables per `company:scene`, cached for the container's life. */
  sceneVariables: Map<string, Promise<string[]>>;
}

/** The dependencies of code that uses the clients C: a function may pass it only if it has them. */
export type ApiDeps<C extends Client = never> = BaseDeps & Pick<Clients, C>;

/** With every client: what the local stack and tests serve all routes with. */
export type AllDeps = ApiDeps<Client>;

/** The dependencies a function's record (shared/manifest.ts) gives its code. */
export type DepsOf<N extends FunctionName> = ApiDeps<ClientsOf<N>>;

/**
 * Builds the API's adapters once per container from configuration, with the clients given: on AWS
 * exactly those of the function's record (the others' bundles and cold starts then carry none of
 * them, docs/performance.md), in tests and the local stack all of them.
 */
export function createApiDeps<C extends Client = never>(
  config: ApiConfig,
  service: string,
  clients: Pick<Clients, C>,
  options: { now?: () => number } = {},
): ApiDeps<C> {
  const { logger, metrics } = createObservability(service);
  const doc = createDocumentClient({ endpoint: config.dynamoEndpoint });
  // Every failed byrobot attempt is counted (ByrobotErrors), whether or not it fails the request:
  // the import worker's, a retried one, one a route turns into a 502.
  const { byrobot } = clients as Partial<Clients>;
  const observed = byrobot ? { byrobot: withByrobotErrorMetrics(byrobot, metrics) } : {};
  return {
    ...clients,
    ...observed,
    logger,
    metrics,
    apiKeys: config.apiKeys,
    webhookSources: config.webhookSources,
    idempotency: new IdempotencyStore(doc, config.tableName),
    callbacks: {
      token: config.callbackToken,
      sourceIps: config.callbackSourceIps ?? [],
      signature: config.callbackSignature ?? false,
      credentials: config.credentials,
    },
    now: options.now,
    doc,
    tableName: config.tableName,
    imports: new ImportStore(doc, config.tableName),
    sceneVariables: new Map(),
  };
}
