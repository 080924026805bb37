import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startDynalite } from '../dev/dynamo.ts';
import { localBusClient, startLocalBus } from '../dev/eventbus.ts';
import { type RunningSimulator, startSimulator } from '../local/byrobot-sim/index.ts';
import type { SimStats } from '../local/byrobot-sim/server.ts';
import { ByrobotClient, TERMINAL_TASK_STATUSES } from '../shared/byrobot/index.ts';
import type { BridgeEvent } from '../shared/events/builders.ts';
import { callKey } from '../shared/events/builders.ts';
import { publishEvents } from '../shared/events/publisher.ts';
import { pollCompany } from '../shared/poller/cycle.ts';
import { PollerStore } from '../shared/poller/store.ts';
import { createDocumentClient, ensureTable } from '../shared/store/dynamo.ts';

/*
 * The poller's cost benchmark (issue: Poller). The simulator, dynalite and the local PutEvents
 * endpoint run in a child process, so this process holds only the poller (and the bench's own
 * bookkeeping) and its memory is the poller's. Each scenario:
 *   1. builds the world in the child and lets 2 virtual minutes run (calls in flight, some done);
 *   2. takes baselines: one cycle of the real poller, one of the naive poller;
 *   3. lets one virtual minute pass (the clock is still afterwards: speed 0), during which calls
 *      finish and a few percent of the running tasks run out of customers and complete;
 *   4. with 50 ms added to every byrobot request, measures one cycle of the real poller, then one
 *      of the naive poller on the same, unchanged state; each one's requests come from the
 *      simulator's own counters (`GET /__sim/stats`), reset before each.
 * The lower bound is computed from the simulator's ground truth (`GET /__sim/state`) before and
 * after the virtual minute.
 */

export interface Scenario {
  name: string;
  description: string;
  companies: number;
  tasksPerCompany: number;
  /** Running tasks per company, including the finishing ones. */
  runningPerCompany: number;
  /** Concurrency of each running task: sets how many calls finish per virtual minute. */
  concurrency: number;
  customersPerRunning: number;
  /**
   * Running tasks per company with so few customers that most of them run out during the measured
   * minute and complete (with the seed used, 40 customers at concurrency 15 end 2–3 minutes in).
   */
  finishingPerCompany: number;
  customersPerFinishing: number;
  /**
   * getTasks lists every count as null (the seed's own example; the simulator's nullCounts fault):
   * the poller cannot tell from the list what changed and reads each open task's detail.
   */
  nullCounts?: boolean;
}

export const S2: Scenario = {
  name: 'S2 busy',
  description: '1,000 tasks, 100 running, ~2,000 calls finishing per cycle, a few tasks completing',
  companies: 1,
  tasksPerCompany: 1000,
  runningPerCompany: 100,
  concurrency: 15,
  customersPerRunning: 400,
  finishingPerCompany: 6,
  customersPerFinishing: 40,
};

export const SCENARIOS: Scenario[] = [
  {
    name: 'S1 idle',
    description: '500 tasks, nothing changes',
    companies: 1,
    tasksPerCompany: 500,
    runningPerCompany: 0,
    concurrency: 1,
    customersPerRunning: 0,
    finishingPerCompany: 0,
    customersPerFinishing: 0,
  },
  S2,
  {
    ...S2,
    name: 'S2n busy, null counts',
    description: 'S2 with getTasks answering null counts: one getTaskDetail per open task per cycle',
    nullCounts: true,
  },
  {
    name: 'S3 large',
    description: '10,000 tasks over 5 companies, ~5,000 calls finishing per cycle, a few tasks completing',
    companies: 5,
    tasksPerCompany: 2000,
    runningPerCompany: 50,
    concurrency: 17,
    customersPerRunning: 400,
    finishingPerCompany: 2,
    customersPerFinishing: 40,
  },
];

export const LATENCY_MS = 50;
export const MAX_IN_FLIGHT = 8;
export const TASK_CONCURRENCY = 32;
const CHILD_FLAG = '--poller-bench-sim';

// ---------------------------------------------------------------- the child: simulator, dynalite, bus

interface ChildEndpoints {
  simUrl: string;
  dynamoEndpoint: string;
  busEndpoint: string;
}

/** The scenario's tasks in a fresh simulator world (no time has passed yet). */
export function buildWorld(world: ReturnType<RunningSimulator['sim']['world']>, scenario: Scenario): void {
  // Open tasks sit among closed ones: every 10th older task of a company is paused, the rest
  // completed; the running ones are the newest, the finishing ones just older than the others.
  for (let c = 1; c <= scenario.companies; c++) {
    const others = scenario.tasksPerCompany - scenario.runningPerCompany;
    for (let i = 0; i < others; i++)
      world.bulkCreateTasks({ companyId: c, count: 1, status: i % 10 === 0 ? 'paused' : 'completed' });
    for (const [count, customersPerTask] of [
      [scenario.finishingPerCompany, scenario.customersPerFinishing],
      [scenario.runningPerCompany - scenario.finishingPerCompany, scenario.customersPerRunning],
    ] as const) {
      if (count > 0)
        world.bulkCreateTasks({
          companyId: c,
          count,
          status: 'running',
          concurrency: scenario.concurrency,
          customersPerTask,
        });
    }
  }
}

/** The simulator a scenario's world lives in: a fixed seed, the clock still until advanced. */
export const startScenarioSimulator = (scenario: Scenario) =>
  startSimulator({ seed: 2026, speed: 0, companies: scenario.companies, seats: 100_000 });

async function serveScenarioInChild(): Promise<void> {
  const [scenario] = (await once(process, 'message')) as [Scenario];
  const server = await startScenarioSimulator(scenario);
  const dynamo = await startDynalite();
  const bus = await startLocalBus({ eventsFile: null });
  buildWorld(server.sim.world(), scenario);
  server.sim.advance(120); // calls in flight and some done before the baseline
  const endpoints: ChildEndpoints = {
    simUrl: server.url,
    dynamoEndpoint: dynamo.endpoint,
    busEndpoint: bus.endpoint,
  };
  process.send?.(endpoints);
  process.once('disconnect', () => {
    void Promise.all([server.close(), dynamo.close(), bus.close()]).then(() => process.exit(0));
  });
}

if (process.argv[2] === CHILD_FLAG) await serveScenarioInChild();

export interface BenchChild<E, C> {
  /** The child's first message: where its servers listen. */
  endpoints: E;
  pid: number;
  /** Sends a command; resolves with the child's next message. */
  ask<T>(command: C): Promise<T>;
  close(): Promise<void>;
}

/**
 * The bench module at `moduleUrl` again, in a child process started with `flag` and sent `init`;
 * resolves once the child answers with its endpoints. `name` names it if it dies before that.
 */
export async function startBenchChild<E, C = never>(
  moduleUrl: string,
  flag: string,
  init: unknown,
  name: string,
  env?: NodeJS.ProcessEnv,
): Promise<BenchChild<E, C>> {
  const child: ChildProcess = fork(fileURLToPath(moduleUrl), [flag], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoints = await new Promise<E>((resolve, reject) => {
    child.once('message', (m) => resolve(m as E));
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before starting`)));
    child.send(init as object);
  });
  return {
    endpoints,
    pid: child.pid ?? -1,
    ask: <T>(command: C) =>
      new Promise<T>((resolve) => {
        child.once('message', (m) => resolve(m as T));
        child.send(command as object);
      }),
    close: async () => {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The names of the checks that failed. */
export const failedChecks = (checks: Record<string, boolean>) =>
  Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);

// ---------------------------------------------------------------- the simulator's controls over HTTP

export interface StateTask {
  taskId: number;
  companyId: number;
  status: number;
  counts: { done: number };
}

export async function control<T>(simUrl: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${simUrl}/__sim/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`/__sim/${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export const simState = async (simUrl: string) =>
  (await control<{ tasks: StateTask[] }>(simUrl, 'state')).tasks;
export const simStats = (simUrl: string) => control<SimStats>(simUrl, 'stats');
export const resetSimStats = (simUrl: string) => control<SimStats>(simUrl, 'stats/reset', {});

// ---------------------------------------------------------------- the lower bound

export interface BoundParts {
  listingPages: number;
  completedDetails: number;
  newCallPages: number;
  newCalls: number;
  /** With null counts in the list: a detail per task open at the start that did not complete. */
  nullCountDetails: number;
}

/**
 * The fewest requests any poller could make to learn everything that changed between `before` and
 * `after`: per company the listing pages (100, newest first) down to the oldest task not terminal
 * at the start of the cycle; one detail per task that reached a terminal status; per task with new
 * calls, ceil(new / 50) done-list pages and one detail per new call.
 */
export function lowerBound(before: StateTask[], after: StateTask[], nullCounts = false): BoundParts {
  const was = new Map(before.map((t) => [t.taskId, t]));
  const byCompany = new Map<number, StateTask[]>();
  for (const t of after) byCompany.set(t.companyId, [...(byCompany.get(t.companyId) ?? []), t]);
  const parts: BoundParts = {
    listingPages: 0,
    completedDetails: 0,
    newCallPages: 0,
    newCalls: 0,
    nullCountDetails: 0,
  };
  for (const tasks of byCompany.values()) {
    const newestFirst = tasks.toSorted((a, b) => b.taskId - a.taskId);
    let lowestPosition = 0;
    newestFirst.forEach((t, i) => {
      const b = was.get(t.taskId);
      if (!b || !TERMINAL_TASK_STATUSES.has(b.status)) lowestPosition = i + 1;
    });
    parts.listingPages += Math.max(1, Math.ceil(lowestPosition / 100));
    for (const a of newestFirst) {
      const b = was.get(a.taskId);
      const delta = a.counts.done - (b?.counts.done ?? 0);
      if (delta > 0) {
        parts.newCalls += delta;
        parts.newCallPages += Math.ceil(delta / 50);
      }
      if (TERMINAL_TASK_STATUSES.has(a.status) && b?.status !== a.status) parts.completedDetails++;
      // Without counts in the list, only a detail says whether an open task moved.
      else if (nullCounts && b && !TERMINAL_TASK_STATUSES.has(b.status)) parts.nullCountDetails++;
    }
  }
  return parts;
}

// ---------------------------------------------------------------- the naive poller

/**
 * What a poller without the bridge's listing plan and done-list cursor would do each cycle: list
 * every task page, ask `getTaskDetail` for every task, list the done calls in full of every task
 * running now or at its previous look (so a task's final calls are not missed when it completes),
 * and fetch `phoneLogInfo` for each call it has not seen. It keeps its state in memory and publishes
 * nothing: only its byrobot requests are compared.
 */
class NaivePoller {
  readonly #seen = new Map<number, { status: number; keys: Set<string> }>();

  constructor(
    private readonly byrobot: ByrobotClient,
    private readonly companies: number,
  ) {}

  async cycle(): Promise<{ newCalls: number; completed: number }> {
    let newCalls = 0;
    let completed = 0;
    for (let companyId = 1; companyId <= this.companies; companyId++) {
      const ids: number[] = [];
      for await (const t of this.byrobot.tasks({ companyId })) ids.push(t.taskId);
      await runPool(ids, TASK_CONCURRENCY, async (taskId) => {
        const detail = await this.byrobot.getTaskDetail({ companyId, taskId });
        const status = detail.status.code;
        const previous = this.#seen.get(taskId);
        const state = previous ?? { status, keys: new Set<string>() };
        if (status === 1 || (previous && previous.status === 1)) {
          const fresh = [];
          for await (const call of this.byrobot.doneCalls({ taskId })) {
            const key = callKey(call.callInstanceId, call.redial.times);
            if (!state.keys.has(key)) fresh.push({ key, id: call.callInstanceId });
          }
          // First sight is a baseline: its calls are history, not announced.
          if (previous)
            await Promise.all(fresh.map((c) => this.byrobot.phoneLogInfo(c.id).then(() => newCalls++)));
          for (const c of fresh) state.keys.add(c.key);
        }
        if (previous && TERMINAL_TASK_STATUSES.has(status) && !TERMINAL_TASK_STATUSES.has(previous.status))
          completed++;
        state.status = status;
        this.#seen.set(taskId, state);
      });
    }
    return { newCalls, completed };
  }
}

export async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

// ---------------------------------------------------------------- memory of this (the poller's) process

/** `gc()` without starting node with --expose-gc; undefined if the runtime refuses. */
function exposedGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const gc = exposedGc();

/** Samples heapUsed and RSS every 10 ms, after a full GC, while `fn` runs. */
async function withMemorySampling<T>(fn: () => Promise<T>) {
  gc?.();
  const start = process.memoryUsage();
  let peakHeap = start.heapUsed;
  let peakRss = start.rss;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  const sampler = setInterval(sample, 10);
  try {
    const value = await fn();
    sample();
    const mb = (n: number) => n / 2 ** 20;
    return {
      value,
      memory: {
        heapBeforeMb: mb(start.heapUsed),
        peakHeapMb: mb(peakHeap),
        heapGrowthMb: mb(peakHeap - start.heapUsed),
        rssBeforeMb: mb(start.rss),
        peakRssMb: mb(peakRss),
        gcBeforeSampling: gc !== undefined,
      },
    };
  } finally {
    clearInterval(sampler);
  }
}

// ---------------------------------------------------------------- one scenario

export async function runScenario(scenario: Scenario) {
  const child = await startBenchChild<ChildEndpoints>(
    import.meta.url,
    CHILD_FLAG,
    scenario,
    'simulator process',
  );
  const { simUrl, busEndpoint, dynamoEndpoint } = child.endpoints;
  const eventBridge = localBusClient(busEndpoint, 3);
  try {
    const doc = createDocumentClient({ endpoint: dynamoEndpoint });
    const tableName = `bench-${randomUUID().slice(0, 8)}`;
    await ensureTable(doc, tableName);
    const store = new PollerStore(doc, tableName);
    const client = () =>
      new ByrobotClient({
        baseUrl: simUrl,
        appKey: 'demo-key',
        appSecret: 'demo-secret',
        maxInFlight: MAX_IN_FLIGHT,
        timeoutMs: 30_000,
      });
    const byrobot = client();
    const publish = (events: readonly BridgeEvent[]) =>
      publishEvents(events, { client: eventBridge, eventBusName: 'bench' });
    const cycle = async () => {
      const reports = [];
      for (let c = 1; c <= scenario.companies; c++) {
        reports.push(
          await pollCompany(
            c,
            { byrobot, store, publish },
            { ownerId: 'bench', reserveMs: 0, taskConcurrency: TASK_CONCURRENCY },
          ),
        );
      }
      return reports;
    };
    const naive = new NaivePoller(client(), scenario.companies);

    // Baselines, then one virtual minute.
    await cycle();
    await naive.cycle();
    const before = await simState(simUrl);
    await control(simUrl, 'clock/advance', { seconds: 60 });
    const after = await simState(simUrl);
    const parts = lowerBound(before, after, scenario.nullCounts);
    const bound =
      parts.listingPages +
      parts.completedDetails +
      parts.newCallPages +
      parts.newCalls +
      parts.nullCountDetails;

    await control(simUrl, 'faults', { kind: 'latency', latencyMs: LATENCY_MS });
    if (scenario.nullCounts)
      await control(simUrl, 'faults', { kind: 'nullCounts', endpoint: 'task/getTasks' });

    // The bridge's poller.
    await resetSimStats(simUrl);
    const started = performance.now();
    const { value: reports, memory } = await withMemorySampling(cycle);
    const wallMs = performance.now() - started;
    const stats = await simStats(simUrl);
    const events: Record<string, number> = {};
    for (const r of reports)
      for (const [type, n] of Object.entries(r.events)) events[type] = (events[type] ?? 0) + n;
    const failures = reports.flatMap((r) => r.failures);

    // The naive poller, on the same state (the clock has not moved).
    await resetSimStats(simUrl);
    const naiveStarted = performance.now();
    const naiveResult = await naive.cycle();
    const naiveWallMs = performance.now() - naiveStarted;
    const naiveStats = await simStats(simUrl);

    // Cross-checks: both pollers must have seen exactly what the ground truth says changed.
    const checks = {
      callCompletedEqualsNewCalls: (events['Call Completed'] ?? 0) === parts.newCalls,
      taskCompletedEqualsCompletedTasks: (events['Task Completed'] ?? 0) === parts.completedDetails,
      naiveSawEveryNewCall: naiveResult.newCalls === parts.newCalls,
      naiveSawEveryCompletion: naiveResult.completed === parts.completedDetails,
    };
    const tasksRunningAtStart = before.filter((t) => t.status === 1).length;
    return {
      scenario: scenario.name,
      description: scenario.description,
      requests: stats.total,
      bound,
      ratio: bound > 0 ? stats.total / bound : stats.total === 0 ? 1 : Number.POSITIVE_INFINITY,
      boundParts: parts,
      byEndpoint: stats.byEndpoint,
      byCode: stats.byCode,
      wallSeconds: wallMs / 1000,
      maxInFlight: stats.maxInFlight,
      memory,
      events,
      failures: failures.length,
      tasksRunningAtStart,
      tasksCompleted: parts.completedDetails,
      naive: {
        requests: naiveStats.total,
        byEndpoint: naiveStats.byEndpoint,
        wallSeconds: naiveWallMs / 1000,
        maxInFlight: naiveStats.maxInFlight,
        ...naiveResult,
      },
      checks,
      simulatorPid: child.pid,
    };
  } finally {
    eventBridge.destroy();
    await child.close();
  }
}

export async function benchPoller() {
  const results = [];
  for (const s of SCENARIOS) {
    const r = await runScenario(s);
    const failed = failedChecks(r.checks);
    console.log(
      `${r.scenario}: ${r.requests} requests (bound ${r.bound}, ×${r.ratio.toFixed(3)}; naive ${r.naive.requests} in ${r.naive.wallSeconds.toFixed(1)} s), ` +
        `${r.wallSeconds.toFixed(1)} s, ≤${r.maxInFlight} in flight, heap peak ${r.memory.peakHeapMb.toFixed(0)} MB (+${r.memory.heapGrowthMb.toFixed(0)}), ` +
        `${r.tasksCompleted} of ${r.tasksRunningAtStart} running tasks completed, events ${JSON.stringify(r.events)}, ${r.failures} failures` +
        (failed.length > 0 ? `; FAILED CHECKS: ${failed.join(', ')}` : ''),
    );
    results.push(r);
  }
  return results;
}
