import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { startSimulator } from '../local/byrobot-sim/index.ts';
import type { SimTask } from '../local/byrobot-sim/world.ts';
import { startDynalite } from '../local/dynamo.ts';
import { startLocalBus } from '../local/eventbus/index.ts';
import { ByrobotClient } from '../shared/byrobot/index.ts';
import type { BridgeEvent } from '../shared/events/builders.ts';
import { publishEvents } from '../shared/events/publisher.ts';
import { pollCompany } from '../shared/poller/cycle.ts';
import { PollerStore } from '../shared/poller/store.ts';
import { createDocumentClient, ensureTable } from '../shared/store/dynamo.ts';

/*
 * The poller's cost benchmark (issue: Poller). Each scenario runs on the simulator with 50 ms added
 * to every request, polls once to take baselines, lets one virtual minute pass, then measures one
 * cycle: byrobot requests (from the simulator's own counters), the lower bound computed from the
 * simulator's ground truth, the naive poller's requests, wall time, peak concurrency and memory.
 */

interface Scenario {
  name: string;
  description: string;
  companies: number;
  tasksPerCompany: number;
  runningPerCompany: number;
  /** Concurrency of each running task: sets how many calls finish per virtual minute. */
  concurrency: number;
  customersPerRunning: number;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'S1 idle',
    description: '500 tasks, nothing changes',
    companies: 1,
    tasksPerCompany: 500,
    runningPerCompany: 0,
    concurrency: 1,
    customersPerRunning: 0,
  },
  {
    name: 'S2 busy',
    description: '1,000 tasks, 100 running, ~2,000 calls finishing per cycle',
    companies: 1,
    tasksPerCompany: 1000,
    runningPerCompany: 100,
    concurrency: 15,
    customersPerRunning: 400,
  },
  {
    name: 'S3 large',
    description: '10,000 tasks over 5 companies, ~5,000 calls finishing per cycle',
    companies: 5,
    tasksPerCompany: 2000,
    runningPerCompany: 50,
    concurrency: 17,
    customersPerRunning: 400,
  },
];

const LATENCY_MS = 50;
const MAX_IN_FLIGHT = 8;

interface Truth {
  status: number;
  done: number;
}

function snapshotTruth(tasks: Iterable<SimTask>): Map<number, Truth> {
  const out = new Map<number, Truth>();
  for (const t of tasks) out.set(t.id, { status: t.status, done: t.counts.done });
  return out;
}

export async function runScenario(scenario: Scenario) {
  const server = await startSimulator({
    seed: 2026,
    speed: 0,
    companies: scenario.companies,
    seats: 100_000,
  });
  const dynamo = await startDynalite();
  const bus = await startLocalBus({ eventsFile: null });
  try {
    const world = server.sim.world();
    // Open tasks sit among closed ones: every 10th task of a company is paused, the running ones
    // are the newest, everything else completed.
    for (let c = 1; c <= scenario.companies; c++) {
      const others = scenario.tasksPerCompany - scenario.runningPerCompany;
      for (let i = 0; i < others; i++)
        world.bulkCreateTasks({ companyId: c, count: 1, status: i % 10 === 0 ? 'paused' : 'completed' });
      world.bulkCreateTasks({
        companyId: c,
        count: scenario.runningPerCompany,
        status: 'running',
        concurrency: scenario.concurrency,
        customersPerTask: scenario.customersPerRunning,
      });
    }
    server.sim.advance(120); // calls in flight and some done before the baseline
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    const tableName = `bench-${randomUUID().slice(0, 8)}`;
    await ensureTable(doc, tableName);
    const store = new PollerStore(doc, tableName);
    const byrobot = new ByrobotClient({
      baseUrl: server.url,
      appKey: 'demo-key',
      appSecret: 'demo-secret',
      maxInFlight: MAX_IN_FLIGHT,
      timeoutMs: 30_000,
    });
    const eventBridge = new EventBridgeClient({
      endpoint: bus.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const publish = (events: readonly BridgeEvent[]) =>
      publishEvents(events, { client: eventBridge, eventBusName: 'bench' });
    const cycle = async () => {
      const reports = [];
      for (let c = 1; c <= scenario.companies; c++) {
        reports.push(
          await pollCompany(
            c,
            { byrobot, store, publish },
            { ownerId: 'bench', reserveMs: 0, taskConcurrency: 32 },
          ),
        );
      }
      return reports;
    };

    await cycle(); // baselines
    const before = snapshotTruth(world.tasks.values());
    server.sim.advance(60);
    const after = snapshotTruth(world.tasks.values());

    // Lower bound from ground truth.
    let listingPages = 0;
    let completedDetails = 0;
    let newCallPages = 0;
    let newCalls = 0;
    let naive = 0;
    for (let c = 1; c <= scenario.companies; c++) {
      const newestFirst = [...(world.tasksByCompany.get(c) ?? [])].reverse();
      // "may still change": not terminal when the cycle starts (the baseline closed the rest).
      let lowestPosition = 1;
      newestFirst.forEach((t, i) => {
        const b = before.get(t.id)!;
        if (b.status !== 2 && b.status !== 6) lowestPosition = i + 1;
      });
      listingPages += Math.ceil(lowestPosition / 100);
      naive += newestFirst.length; // a detail for every task
      for (const t of newestFirst) {
        const b = before.get(t.id)!;
        const a = after.get(t.id)!;
        const delta = a.done - b.done;
        if (delta > 0) {
          newCalls += delta;
          newCallPages += Math.ceil(delta / 50);
        }
        if ((a.status === 2 || a.status === 6) && b.status !== a.status) completedDetails++;
        if (b.status === 1) naive += Math.max(1, Math.ceil(a.done / 50)); // full done listing
      }
    }
    naive += newCalls;
    const bound = listingPages + completedDetails + newCallPages + newCalls;

    server.sim.addFault({ kind: 'latency', latencyMs: LATENCY_MS });
    server.sim.resetStats();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const started = performance.now();
    const reports = await cycle();
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const stats = server.sim.stats();
    const events = reports.reduce((s, r) => s + Object.values(r.events).reduce((x, y) => x + y, 0), 0);
    const failures = reports.flatMap((r) => r.failures);
    eventBridge.destroy();
    return {
      scenario: scenario.name,
      description: scenario.description,
      requests: stats.total,
      bound,
      ratio: bound > 0 ? stats.total / bound : stats.total === 0 ? 1 : Number.POSITIVE_INFINITY,
      naive,
      boundParts: { listingPages, completedDetails, newCallPages, newCalls },
      byEndpoint: stats.byEndpoint,
      wallSeconds: wallMs / 1000,
      maxInFlight: stats.maxInFlight,
      peakRssDeltaMb: (peakRss - rssBefore) / 2 ** 20,
      events,
      failures: failures.length,
    };
  } finally {
    await Promise.all([server.close(), dynamo.close(), bus.close()]);
  }
}

export async function benchPoller() {
  const results = [];
  for (const s of SCENARIOS) {
    const r = await runScenario(s);
    console.log(
      `${r.scenario}: ${r.requests} requests (bound ${r.bound}, ×${r.ratio.toFixed(3)}; naive ${r.naive}), ` +
        `${r.wallSeconds.toFixed(1)} s, ≤${r.maxInFlight} in flight, +${r.peakRssDeltaMb.toFixed(0)} MB RSS, ${r.events} events, ${r.failures} failures`,
    );
    results.push(r);
  }
  return results;
}
