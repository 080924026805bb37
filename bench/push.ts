import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import type { SQSEvent } from 'aws-lambda';
import { startDynalite } from '../dev/dynamo.ts';
import { startLocalBus } from '../dev/eventbus.ts';
import { lambdaContext } from '../local/api-server/events.ts';
import { callbackProcessorHandler } from '../local/api-server/handlers.ts';
import { startApiServer } from '../local/api-server/index.ts';
import { createLocalDeliveries } from '../local/notify/deliveries.ts';
import { LocalQueue } from '../local/queue/index.ts';
import { createApiDeps } from '../shared/api/deps.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { LOCAL_CALLBACK_TOKEN } from '../shared/callbacks/token.ts';
import type { ApiConfig } from '../shared/config/api.ts';
import { DeliveryLog } from '../shared/delivery/log-store.ts';
import { busPublisher } from '../shared/events/bus-client.ts';
import { createPollerRuntime } from '../shared/poller/runtime.ts';
import { createDocumentClient, ensureTable } from '../shared/store/dynamo.ts';
import {
  buildWorld,
  control,
  failedChecks,
  LATENCY_MS,
  lowerBound,
  resetSimStats,
  S2,
  SCENARIOS,
  type Scenario,
  simState,
  simStats,
  startBenchChild,
  startScenarioSimulator,
} from './poller.ts';

/*
 * Push and reconcile (issue 13): the poller benchmark's worlds (S2, S3) with byrobot pushing every
 * call record and task status to the bridge's receiver, and the poller running as reconciler.
 * The child process holds byrobot's side and the bridge's push path: the simulator, dynalite, the
 * local bus, the local API server with POST /byrobot/callback/{token}, the callback queue and the
 * processor. This process runs the poller (createPollerRuntime, callbacks on, on the simulator's
 * virtual clock). Each scenario:
 *   1. builds the world, lets 2 virtual minutes run unpushed (history), registers the callback URLs;
 *   2. takes the poller's baseline cycle;
 *   3. per measured minute: 60 steps of 1 virtual second, each waiting until every push due has been
 *      answered and the callback queue is empty (so a push's virtual delay is at most its step),
 *      then one poll cycle with 50 ms added to every byrobot request;
 *   4. with drops, as many more minutes with drops off, so the grace period (120 s) passes for
 *      every dropped call and the reconciler has read them all.
 * Requests are every byrobot request in the window (the processor's getTaskDetail on a completed
 * task's push included), from the simulator's counters. The bound per cycle is what any bridge must
 * ask even when every call is pushed: the listing pages and one detail per task that completed;
 * with drops, plus one phoneLogInfo per dropped call and one queryUnCallBack page per company and
 * cycle in which dropped calls come due.
 */

interface PushScenario {
  name: string;
  description: string;
  base: Scenario;
  /** Share of call-record pushes byrobot loses for good (listed by queryUnCallBack). */
  dropRate: number;
  minutes: number;
}

const GRACE_SECONDS = 120;
const CHILD_FLAG = '--push-bench-sim';
const S3 = SCENARIOS.find((s) => s.name.startsWith('S3'))!;

export const PUSH_SCENARIOS: PushScenario[] = [
  {
    name: 'S2p busy, pushed',
    description: 'S2 with every callback delivered',
    base: S2,
    dropRate: 0,
    minutes: 3,
  },
  {
    name: 'S2p10 busy, 10 % dropped',
    description: 'S2 with 10 % of call-record pushes lost for good during the measured minutes',
    base: S2,
    dropRate: 0.1,
    minutes: 3,
  },
  {
    name: 'S3p large, pushed',
    description: 'S3 with every callback delivered',
    base: S3,
    dropRate: 0,
    minutes: 2,
  },
];

// ---------------------------------------------------------------- the child: byrobot and the push path

type ChildCommand = { cmd: 'minute'; drop: number } | { cmd: 'report' } | { cmd: 'drops' };

interface Arrival {
  wallMs: number;
  virtualMs: number;
}

async function serveInChild(): Promise<void> {
  const [scenario] = (await once(process, 'message')) as [PushScenario];
  const server = await startScenarioSimulator(scenario.base);
  const sim = server.sim;
  const dynamo = await startDynalite();
  // Each Call Completed's arrival at PutEvents, in real and in virtual time.
  const arrivals = new Map<string, Arrival & { detailType: string; callInstanceId: number | null }>();
  const entries: Record<string, number> = {};
  const bus = await startLocalBus({
    eventsFile: null,
    onEvent: (e) => {
      entries[e['detail-type']] = (entries[e['detail-type']] ?? 0) + 1;
      const id = String(e.detail.eventId);
      if (!arrivals.has(id))
        arrivals.set(id, {
          wallMs: Date.now(),
          virtualMs: sim.world().now,
          detailType: e['detail-type'],
          callInstanceId: typeof e.detail.callInstanceId === 'number' ? e.detail.callInstanceId : null,
        });
    },
  });
  buildWorld(sim.world(), scenario.base);
  sim.advance(120); // history: calls done before the bridge was connected are never pushed

  const tableName = `push-${randomUUID().slice(0, 8)}`;
  const doc = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureTable(doc, tableName);
  const config: ApiConfig = {
    tableName,
    eventBusName: 'bench',
    eventSource: 'byrobot.bridge',
    byrobotBaseUrl: server.url,
    credentials: async () => ({ appKey: 'demo-key', appSecret: 'demo-secret' }),
    apiKeys: async () => [],
    webhookSources: async () => [],
    dynamoEndpoint: dynamo.endpoint,
    eventBridgeEndpoint: bus.endpoint,
    callbackToken: async () => LOCAL_CALLBACK_TOKEN,
    callbackSourceIps: [],
    callbackSignature: false,
  };
  const callbackQueue = new LocalQueue({ visibilityMs: 2000 });
  const deps = createApiDeps(config, 'bench', {
    queue: new LocalQueue(),
    callbackQueue,
    publish: busPublisher({ eventBusName: 'bench', source: 'byrobot.bridge', endpoint: bus.endpoint }),
    byrobot: byrobotClientOnFirstUse(config, { maxInFlight: 8 }),
    deliveries: createLocalDeliveries({
      rules: [],
      eventSource: 'byrobot.bridge',
      log: new DeliveryLog(doc, tableName),
      out: () => undefined,
      err: () => undefined,
    }),
  });
  const processor = callbackProcessorHandler(deps);
  callbackQueue.attach((event: SQSEvent) => processor(event, lambdaContext('process-callbacks')));
  const api = await startApiServer({ deps, port: 0 });
  const url = `${api.url}/byrobot/callback/${LOCAL_CALLBACK_TOKEN}`;
  for (let companyId = 1; companyId <= scenario.base.companies; companyId++)
    sim.registerCallbacks({ companyId, callRecordUrl: url, taskStatusUrl: url });

  const settled = async () => {
    for (;;) {
      const now = sim.world().now;
      const busy = sim
        .pushes()
        .some(
          (p) =>
            p.state === 'sending' ||
            (p.state === 'scheduled' && p.nextAt !== null && Date.parse(p.nextAt) <= now),
        );
      if (!busy) break;
      await setTimeout(5);
    }
    await callbackQueue.drained();
  };

  process.on('message', async (m: ChildCommand) => {
    if (m.cmd === 'minute') {
      sim.clearFaults();
      if (m.drop > 0) sim.addFault({ kind: 'drop', callback: 'call', rate: m.drop });
      const started = performance.now();
      for (let s = 0; s < 60; s++) {
        sim.advance(1);
        await settled();
      }
      sim.clearFaults();
      process.send?.({ now: sim.world().now, drainSeconds: (performance.now() - started) / 1000 });
    } else if (m.cmd === 'drops') {
      // The call records byrobot lost, with their calls' end: when the reconciler may read them.
      const drops = sim.pushes({ type: 'call', state: 'dropped' }).map((p) => ({
        companyId: p.companyId,
        callInstanceId: p.callInstanceId!,
        endMs: sim.world().calls.get(p.callInstanceId!)?.endTime ?? 0,
      }));
      process.send?.({ drops });
    } else {
      // Push → PutEvents per call: from the call record's first POST to its event's arrival.
      const wall: number[] = [];
      const virtualPushed: number[] = [];
      const virtualAll: number[] = [];
      const world = sim.world();
      for (const a of arrivals.values()) {
        if (a.detailType !== 'Call Completed' || a.callInstanceId === null) continue;
        const call = world.calls.get(a.callInstanceId);
        if (call?.endTime != null) virtualAll.push((a.virtualMs - call.endTime) / 1000);
        const push = sim.pushes({ type: 'call', callInstanceId: a.callInstanceId })[0];
        if (push && push.state === 'delivered' && push.attempts[0]) {
          wall.push(a.wallMs - push.attempts[0].wallMs);
          if (call?.endTime != null) virtualPushed.push((a.virtualMs - call.endTime) / 1000);
        }
      }
      const ids = [...arrivals.values()].filter((a) => a.detailType === 'Call Completed').length;
      process.send?.({
        entries,
        uniqueCallIds: ids,
        pushWallMs: percentiles(wall),
        pushVirtualSeconds: percentiles(virtualPushed),
        allCallsVirtualSeconds: percentiles(virtualAll),
        pushes: sim.stats().pushes,
      });
    }
  });
  process.send?.({
    simUrl: server.url,
    dynamoEndpoint: dynamo.endpoint,
    busEndpoint: bus.endpoint,
    tableName,
  });
  process.once('disconnect', () => {
    callbackQueue.stop();
    void Promise.all([api.close(), server.close(), dynamo.close(), bus.close()]).then(() => process.exit(0));
  });
}

if (process.argv[2] === CHILD_FLAG) await serveInChild();

function percentiles(values: number[]) {
  const sorted = values.toSorted((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? null };
}

// ---------------------------------------------------------------- this process: the reconciling poller

type ChildEndpoints = { simUrl: string; dynamoEndpoint: string; busEndpoint: string; tableName: string };

interface CycleFigures {
  minute: number;
  dropRate: number;
  requests: number;
  byEndpoint: Record<string, number>;
  bound: number;
  boundParts: {
    listingPages: number;
    completedDetails: number;
    droppedReads: number;
    failedPushPages: number;
  };
  newCalls: number;
  reconciled: number;
  pollWallSeconds: number;
  pushDrainSeconds: number;
}

export async function runPushScenario(scenario: PushScenario) {
  const child = await startBenchChild<ChildEndpoints, ChildCommand>(
    import.meta.url,
    CHILD_FLAG,
    scenario,
    'push bench child',
    {
      ...process.env,
      // As npm start runs the handlers: no EMF blob and no info line per callback on stdout.
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
  );
  const { simUrl } = child.endpoints;
  try {
    let virtualNow = Date.parse((await control<{ now: string }>(simUrl, 'clock')).now);
    const companies = Array.from({ length: scenario.base.companies }, (_, i) => i + 1);
    const poller = createPollerRuntime(
      {
        tableName: child.endpoints.tableName,
        eventBusName: 'bench',
        eventSource: 'byrobot.bridge',
        byrobotBaseUrl: simUrl,
        credentials: async () => ({ appKey: 'demo-key', appSecret: 'demo-secret' }),
        companies,
        backfill: false,
        maxInFlight: 8,
        dynamoEndpoint: child.endpoints.dynamoEndpoint,
        eventBridgeEndpoint: child.endpoints.busEndpoint,
        callbacks: true,
        callbackGraceSeconds: GRACE_SECONDS,
      },
      { now: () => new Date(virtualNow) },
    );
    await poller.run(); // the baseline: what exists is history
    await control(simUrl, 'faults', { kind: 'latency', latencyMs: LATENCY_MS });

    const cycles: CycleFigures[] = [];
    const dueAlready = new Set<number>();
    const minutes = scenario.minutes * (scenario.dropRate > 0 ? 2 : 1);
    for (let m = 0; m < minutes; m++) {
      const drop = m < scenario.minutes ? scenario.dropRate : 0;
      const before = await simState(simUrl);
      await resetSimStats(simUrl);
      const minute = await child.ask<{ now: number; drainSeconds: number }>({ cmd: 'minute', drop });
      virtualNow = minute.now;
      const after = await simState(simUrl);
      const started = performance.now();
      const run = await poller.run();
      const wallSeconds = (performance.now() - started) / 1000;
      const stats = await simStats(simUrl);
      const parts = lowerBound(before, after, false);
      // Dropped calls the reconciler may read at this cycle: ended more than the grace period ago.
      const { drops } = await child.ask<{
        drops: Array<{ companyId: number; callInstanceId: number; endMs: number }>;
      }>({ cmd: 'drops' });
      const due = drops.filter(
        (d) => !dueAlready.has(d.callInstanceId) && d.endMs <= virtualNow - GRACE_SECONDS * 1000,
      );
      for (const d of due) dueAlready.add(d.callInstanceId);
      const dueCompanies = new Set(due.map((d) => d.companyId)).size;
      cycles.push({
        minute: m + 1,
        dropRate: drop,
        requests: stats.total,
        byEndpoint: stats.byEndpoint,
        bound: parts.listingPages + parts.completedDetails + due.length + dueCompanies,
        boundParts: {
          listingPages: parts.listingPages,
          completedDetails: parts.completedDetails,
          droppedReads: due.length,
          failedPushPages: dueCompanies,
        },
        newCalls: parts.newCalls,
        reconciled: run.companies.reduce((n, c) => n + (c.callsReconciled ?? 0), 0),
        pollWallSeconds: wallSeconds,
        pushDrainSeconds: minute.drainSeconds,
      });
    }
    const report = await child.ask<{
      entries: Record<string, number>;
      uniqueCallIds: number;
      pushWallMs: ReturnType<typeof percentiles>;
      pushVirtualSeconds: ReturnType<typeof percentiles>;
      allCallsVirtualSeconds: ReturnType<typeof percentiles>;
      pushes: Record<string, Record<string, number>>;
    }>({ cmd: 'report' });
    const { drops } = await child.ask<{ drops: unknown[] }>({ cmd: 'drops' });
    const sum = (f: (c: (typeof cycles)[number]) => number) => cycles.reduce((n, c) => n + f(c), 0);
    const requests = sum((c) => c.requests);
    const bound = sum((c) => c.bound);
    const newCalls = sum((c) => c.newCalls);
    const byEndpoint: Record<string, number> = {};
    for (const c of cycles)
      for (const [k, v] of Object.entries(c.byEndpoint)) byEndpoint[k] = (byEndpoint[k] ?? 0) + v;
    const checks = {
      everyCallAnnouncedOnce:
        report.uniqueCallIds === newCalls && (report.entries['Call Completed'] ?? 0) === newCalls,
      noDetailReadsWhenAllPushed: scenario.dropRate > 0 || (byEndpoint['v1/task/phoneLogInfo'] ?? 0) === 0,
      withinBound: requests <= 1.1 * bound,
    };
    return {
      scenario: scenario.name,
      description: scenario.description,
      cycles: cycles.length,
      requests,
      requestsPerCycle: requests / cycles.length,
      bound,
      ratio: bound > 0 ? requests / bound : 1,
      byEndpoint,
      newCalls,
      dropped: drops.length,
      reconciled: sum((c) => c.reconciled),
      entries: report.entries,
      pushWallMs: report.pushWallMs,
      pushVirtualSeconds: report.pushVirtualSeconds,
      allCallsVirtualSeconds: report.allCallsVirtualSeconds,
      pollWallSeconds: cycles.map((c) => Number(c.pollWallSeconds.toFixed(2))),
      pushDrainSeconds: cycles.map((c) => Number(c.pushDrainSeconds.toFixed(1))),
      perCycle: cycles.map(({ byEndpoint: _e, ...c }) => c),
      checks,
    };
  } finally {
    await child.close();
  }
}

export async function benchPush() {
  const results = [];
  for (const s of PUSH_SCENARIOS) {
    const r = await runPushScenario(s);
    const failed = failedChecks(r.checks);
    console.log(
      `${r.scenario}: ${r.requests} requests over ${r.cycles} cycles (${r.requestsPerCycle.toFixed(1)} a cycle; bound ${r.bound}, ×${r.ratio.toFixed(3)}), ` +
        `${r.newCalls} calls, ${r.dropped} dropped, ${r.reconciled} reconciled; push→PutEvents p50 ${r.pushWallMs.p50} ms p99 ${r.pushWallMs.p99} ms; ` +
        `${JSON.stringify(r.byEndpoint)}` +
        (failed.length > 0 ? `; FAILED CHECKS: ${failed.join(', ')}` : ''),
    );
    results.push(r);
  }
  return results;
}
