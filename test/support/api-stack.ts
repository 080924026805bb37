import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { startDynalite } from '../../dev/dynamo.ts';
import { startLocalBus } from '../../dev/eventbus.ts';
import { httpEvent, lambdaContext } from '../../local/api-server/events.ts';
import { startSimulator } from '../../local/byrobot-sim/index.ts';
import { createLocalDeliveries } from '../../local/notify/deliveries.ts';
import { LocalQueue } from '../../local/queue/index.ts';

export { httpEvent, lambdaContext };

import {
  callbackProcessorHandler,
  importWorkerHandler,
  routeHandler,
} from '../../local/api-server/handlers.ts';
import { type AllDeps, createApiDeps } from '../../shared/api/deps.ts';
import type { ByrobotClientOptions } from '../../shared/byrobot/client.ts';
import { byrobotClientOnFirstUse } from '../../shared/byrobot/on-first-use.ts';
import type { ProcessorOptions } from '../../shared/callbacks/process.ts';
import { LOCAL_CALLBACK_TOKEN } from '../../shared/callbacks/token.ts';
import type { ApiConfig, ApiKeyConfig, WebhookSourceConfig } from '../../shared/config/api.ts';
import { DeliveryLog } from '../../shared/delivery/log-store.ts';
import { busPublisher } from '../../shared/events/bus-client.ts';
import { hashApiKey } from '../../shared/http/auth.ts';
import type { ApiResult } from '../../shared/http/types.ts';
import type { RouteName } from '../../shared/manifest.ts';
import { createDocumentClient, ensureTable } from '../../shared/store/dynamo.ts';

export const KEYS = {
  admin: 'test-admin-key-0000000000000001',
  company1: 'test-company1-key-000000000002',
  readOnly: 'test-read-only-key-00000000003',
} as const;
export const WEBHOOK_SECRETS = {
  old: `whsec_${Buffer.from('old-secret-bytes-0123456789abcdef').toString('base64')}`,
  current: `whsec_${Buffer.from('new-secret-bytes-0123456789abcdef').toString('base64')}`,
  other: `whsec_${Buffer.from('someone-else-0123456789abcdefghij').toString('base64')}`,
};

export async function startApiStack(
  options: {
    sources?: WebhookSourceConfig[];
    now?: () => number;
    queueBatchSize?: number;
    client?: Partial<ByrobotClientOptions>;
    /** The callback route's source-IP allowlist and signature check (default: any IP, no check). */
    callbacks?: { sourceIps?: string[]; signature?: boolean; processor?: ProcessorOptions };
    /** The routes' function timeout, in place of the manifest's (a deadline a test can wait out). */
    routeTimeoutMs?: number;
  } = {},
) {
  const [sim, dynamo, bus] = await Promise.all([
    startSimulator({ seed: 9, speed: 0 }),
    startDynalite(),
    startLocalBus({ eventsFile: null }),
  ]);
  const tableName = `api-${randomUUID().slice(0, 8)}`;
  const doc = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureTable(doc, tableName);
  const every: ApiKeyConfig['scopes'] = ['control', 'create', 'import', 'read'];
  const keys: ApiKeyConfig[] = [
    { id: 'admin', hash: hashApiKey(KEYS.admin), scopes: every, companies: '*' },
    { id: 'company1', hash: hashApiKey(KEYS.company1), scopes: every, companies: [1] },
    { id: 'reader', hash: hashApiKey(KEYS.readOnly), scopes: ['read'], companies: '*' },
  ];
  const sources: WebhookSourceConfig[] = options.sources ?? [
    {
      name: 'crm',
      secrets: [WEBHOOK_SECRETS.current, WEBHOOK_SECRETS.old],
      companies: [1],
      onMissingVariables: 'pass',
    },
  ];
  const config: ApiConfig = {
    tableName,
    eventBusName: 'byrobot-bridge-test',
    eventSource: 'byrobot.bridge',
    byrobotBaseUrl: sim.url,
    credentials: async () => ({ appKey: 'demo-key', appSecret: 'demo-secret' }),
    apiKeys: async () => keys,
    webhookSources: async () => sources,
    dynamoEndpoint: dynamo.endpoint,
    eventBridgeEndpoint: bus.endpoint,
    callbackToken: async () => LOCAL_CALLBACK_TOKEN,
    callbackSourceIps: options.callbacks?.sourceIps ?? [],
    callbackSignature: options.callbacks?.signature ?? false,
  };
  const callbackQueue = new LocalQueue({ visibilityMs: 20, maxReceiveCount: 5 });
  const queue = new LocalQueue({
    visibilityMs: 20,
    maxReceiveCount: 3,
    batchSize: options.queueBatchSize ?? 10,
  });
  const clientOptions = {
    /*
     * Long enough that only a hang reaches it: on a loaded 2-core machine the simulator has taken
     * well over 400 ms to answer. A test of the timeout itself passes its own short `client.timeoutMs`.
     */
    timeoutMs: 10_000,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    ...options.client,
  };
  const publish = busPublisher({
    eventBusName: config.eventBusName,
    source: config.eventSource,
    endpoint: bus.endpoint,
  });
  const deps: AllDeps = createApiDeps(
    config,
    'test',
    {
      queue,
      callbackQueue,
      publish,
      byrobot: byrobotClientOnFirstUse(config, clientOptions),
      // No destinations here: test/delivery/ tries them against local receivers.
      deliveries: createLocalDeliveries({
        rules: [],
        eventSource: config.eventSource,
        log: new DeliveryLog(doc, tableName),
        out: () => undefined,
        err: () => undefined,
      }),
    },
    { now: options.now },
  );
  const worker = importWorkerHandler(deps, { maxReceiveCount: 3 });
  queue.attach((event: SQSEvent) => worker(event, lambdaContext('import-worker')));
  const processor = callbackProcessorHandler(deps, options.callbacks?.processor);
  callbackQueue.attach((event: SQSEvent) => processor(event, lambdaContext('process-callbacks')));
  const handlers = new Map<RouteName, ReturnType<typeof routeHandler>>();

  async function call(
    name: RouteName,
    input: {
      method: string;
      path: string;
      pathParameters?: Record<string, string>;
      headers?: Record<string, string>;
      queryStringParameters?: Record<string, string>;
      body?: unknown;
    },
  ): Promise<{
    status: number;
    headers: Record<string, string>;
    json: Record<string, unknown> & { errors?: Array<{ field: string; rule: string }> };
    text: string;
  }> {
    if (!handlers.has(name)) handlers.set(name, routeHandler(name, deps));
    const body =
      input.body === undefined
        ? undefined
        : typeof input.body === 'string'
          ? input.body
          : JSON.stringify(input.body);
    const headers = {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...input.headers,
    };
    const result = (await handlers.get(name)!(
      httpEvent({ ...input, headers, body }),
      lambdaContext(name, options.routeTimeoutMs),
    )) as ApiResult;
    const text = result.body ?? '';
    const answered = (result.headers ?? {}) as Record<string, string>;
    // Every route answers JSON but the callback receiver, whose `success` is text/plain.
    const isJson = !String(answered['content-type'] ?? '').startsWith('text/plain');
    return {
      status: result.statusCode ?? 200,
      headers: answered,
      json: text && isJson ? (JSON.parse(text) as Record<string, unknown>) : {},
      text,
    };
  }

  return {
    sim,
    bus,
    queue,
    callbackQueue,
    config,
    deps,
    dynamo,
    tableName,
    /** The import worker as the queue calls it (tests may wrap it). */
    worker: (event: SQSEvent) => worker(event, lambdaContext('import-worker')),
    call,
    auth: (key: string) => ({ authorization: `Bearer ${key}` }),
    async close() {
      queue.stop();
      callbackQueue.stop();
      await Promise.all([sim.close(), dynamo.close(), bus.close()]);
    },
  };
}
export type ApiStack = Awaited<ReturnType<typeof startApiStack>>;
