import { randomUUID } from 'node:crypto';
import { startDynalite } from '../../dev/dynamo.ts';
import { localBusClient, startLocalBus } from '../../dev/eventbus.ts';
import { startSimulator } from '../../local/byrobot-sim/index.ts';
import { ByrobotClient, type ByrobotClientOptions } from '../../shared/byrobot/index.ts';
import type { BridgeEvent } from '../../shared/events/builders.ts';
import { publishEvents } from '../../shared/events/publisher.ts';
import { type PollerDeps, type PollerOptions, pollCompany } from '../../shared/poller/cycle.ts';
import { PollerStore } from '../../shared/poller/store.ts';
import { createDocumentClient, ensureTable } from '../../shared/store/dynamo.ts';

/**
 * The real local components the integration tests run against: the byrobot simulator over HTTP,
 * dynalite over the DynamoDB protocol and the local PutEvents endpoint. No mocks.
 */
export async function startLocalStack(
  options: { client?: Partial<ByrobotClientOptions>; seed?: number } = {},
) {
  const [sim, dynamo, bus] = await Promise.all([
    startSimulator({ port: 0, seed: options.seed ?? 7, speed: 0 }),
    startDynalite(),
    startLocalBus({ port: 0, eventsFile: null, print: false }),
  ]);
  const tableName = `bridge-${randomUUID().slice(0, 8)}`;
  const doc = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureTable(doc, tableName);
  const store = new PollerStore(doc, tableName);
  const byrobot = new ByrobotClient({
    baseUrl: sim.url,
    appKey: 'demo-key',
    appSecret: 'demo-secret',
    timeoutMs: 1000,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    maxInFlight: 8,
    ...options.client,
  });
  const eventBridge = localBusClient(bus.endpoint);
  const publish = (events: readonly BridgeEvent[]) =>
    publishEvents(events, {
      client: eventBridge,
      eventBusName: 'byrobot-bridge-test',
      baseDelayMs: 5,
      maxDelayMs: 20,
    });
  const deps: PollerDeps = { byrobot, store, publish };

  const simControl = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
    const res = await fetch(`${sim.url}/__sim/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sim control ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };

  return {
    sim,
    bus,
    dynamo,
    doc,
    tableName,
    store,
    byrobot,
    deps,
    /** One poll cycle of a company, as the Lambda runs it. */
    poll: (
      companyId: number,
      pollerOptions: Partial<PollerOptions> = {},
      overrides: Partial<PollerDeps> = {},
    ) =>
      pollCompany(
        companyId,
        { ...deps, ...overrides },
        { ownerId: randomUUID(), reserveMs: 0, ...pollerOptions },
      ),
    advance: (seconds: number) => simControl('clock/advance', { seconds }),
    fault: (fault: Record<string, unknown>) => simControl('faults', fault),
    clearFaults: () => simControl('faults', undefined, 'DELETE'),
    simTask: (taskId: number) => simControl(`tasks/${taskId}`),
    simStats: () => simControl('stats'),
    /** Published events of a type, as their details. */
    details: <T = Record<string, unknown>>(detailType?: string) =>
      bus.bus.events
        .filter((e) => detailType === undefined || e['detail-type'] === detailType)
        .map((e) => e.detail as T),
    async close() {
      eventBridge.destroy();
      await Promise.all([sim.close(), dynamo.close(), bus.close()]);
    },
  };
}

export type LocalStack = Awaited<ReturnType<typeof startLocalStack>>;
