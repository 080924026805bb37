import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from '../../dev/listen.ts';
import { toBeijingIso } from '../../shared/time.ts';
import type { FaultKind } from './faults.ts';
import { createSimServer, type SimStats, send } from './server.ts';
import { World } from './world.ts';

export interface SimulatorOptions {
  /** 0 = a random free port. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default process.env.SIM_APP_KEY ?? 'demo-key' */
  appKey?: string;
  /** @default process.env.SIM_APP_SECRET ?? 'demo-secret' */
  appSecret?: string;
  /** Same seed, same requests, same clock moves → the same calls. @default 1 */
  seed?: number;
  /** Virtual seconds per real second; 0 = the clock moves only when advanced. @default 0 */
  speed?: number;
  /** Where the virtual clock starts. @default 2026-11-23T10:00:00+08:00 (inside working hours) */
  startTime?: string | number;
  /** AI seats per company. @default 10 */
  seats?: number;
  /** Companies the app key manages. @default 2 */
  companies?: number;
  /** How far a request's `datetime` may be from byrobot's clock. @default 180000 */
  clockToleranceMs?: number;
}

export interface Simulator {
  world(): World;
  advance(seconds: number): string;
  addFault(fault: {
    kind: FaultKind;
    endpoint?: string;
    /** Only requests about this task (see Fault.taskId). */
    taskId?: number;
    times?: number;
    latencyMs?: number;
    status?: number;
  }): number;
  clearFaults(): void;
  stats(): SimStats;
  resetStats(): void;
  reset(): void;
  /** Skews byrobot's server clock (for 408 tests). */
  setClockOffset(ms: number): void;
}

export interface RunningSimulator {
  url: string;
  port: number;
  sim: Simulator;
  close(): Promise<void>;
}

/** Starts the byrobot simulator: the open API at `/openapi/...`, controls at `/__sim/...`. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const startMs =
    typeof options.startTime === 'number'
      ? options.startTime
      : Date.parse(options.startTime ?? '2026-11-23T10:00:00+08:00');
  const worldOptions = {
    seed: options.seed ?? 1,
    startTime: startMs,
    seats: options.seats ?? 10,
    companies: options.companies ?? 2,
  };
  let world = new World(worldOptions);
  const server = createSimServer(
    () => world,
    {
      appKey: options.appKey ?? process.env.SIM_APP_KEY ?? 'demo-key',
      appSecret: options.appSecret ?? process.env.SIM_APP_SECRET ?? 'demo-secret',
      clockToleranceMs: options.clockToleranceMs ?? 180_000,
    },
    (req, res, path, body) => control(req, res, path, body),
  );

  const sim: Simulator = {
    world: () => world,
    advance: (seconds) => toBeijingIso(world.clock.advance(seconds * 1000)),
    addFault: (fault) => server.faults.add(fault).id,
    clearFaults: () => server.faults.remove(),
    stats: () => structuredClone(server.stats),
    resetStats: () => server.resetStats(),
    reset: () => {
      world = new World(worldOptions);
      server.faults.remove();
      server.resetStats();
    },
    setClockOffset: (ms) => {
      server.serverClockOffsetMs = ms;
    },
  };

  const b = (x: unknown) => (x ?? {}) as Record<string, unknown>;
  async function control(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: unknown,
  ): Promise<boolean> {
    const m = req.method;
    const taskMatch = /^tasks\/(\d+)(\/status)?$/.exec(path);
    if (path === 'clock' && m === 'GET')
      send(res, 200, { now: toBeijingIso(world.now), pendingEvents: world.clock.pending });
    else if (path === 'clock/advance' && m === 'POST') {
      const seconds = Number(b(body).seconds ?? Number(b(body).ms ?? 0) / 1000);
      if (!Number.isFinite(seconds) || seconds < 0)
        throw new Error('advance takes {"seconds": N} or {"ms": N}, N ≥ 0');
      send(res, 200, { now: sim.advance(seconds) });
    } else if (path === 'clock/offset' && m === 'POST') {
      sim.setClockOffset(Number(b(body).ms ?? 0));
      send(res, 200, { serverClockOffsetMs: server.serverClockOffsetMs });
    } else if (path === 'faults' && m === 'GET') send(res, 200, { faults: server.faults.list });
    else if (path === 'faults' && m === 'POST') {
      const f = b(body) as Parameters<Simulator['addFault']>[0];
      send(res, 201, server.faults.add(f));
    } else if (path === 'faults' && m === 'DELETE') {
      server.faults.remove();
      send(res, 200, { faults: [] });
    } else if (/^faults\/\d+$/.test(path) && m === 'DELETE') {
      server.faults.remove(Number(path.split('/')[1]));
      send(res, 200, { faults: server.faults.list });
    } else if (path === 'stats' && m === 'GET') send(res, 200, server.stats);
    else if (path === 'stats/reset' && m === 'POST') {
      server.resetStats();
      send(res, 200, server.stats);
    } else if (path === 'reset' && m === 'POST') {
      sim.reset();
      send(res, 200, { ok: true });
    } else if (path === 'state' && m === 'GET') {
      send(res, 200, {
        now: toBeijingIso(world.now),
        companies: [...world.companies.values()].map((c) => ({
          companyId: c.companyId,
          companyName: c.companyName,
          seats: c.seats,
        })),
        tasks: [...world.tasks.values()].map((t) => ({
          taskId: t.id,
          companyId: t.companyId,
          name: t.name,
          status: t.status,
          counts: t.counts,
        })),
      });
    } else if (taskMatch && !taskMatch[2] && m === 'GET') {
      const t = world.task(Number(taskMatch[1]));
      send(res, 200, {
        taskId: t.id,
        companyId: t.companyId,
        name: t.name,
        status: t.status,
        counts: t.counts,
        customers: t.calls.map((c) => ({
          callInstanceId: c.callInstanceId,
          name: c.name,
          phone: c.phone,
          properties: c.properties,
          status: c.status,
          finishStatus: c.finishStatus,
          attempts: c.attempts,
        })),
      });
    } else if (taskMatch?.[2] && m === 'POST') {
      world.forceStatus(Number(taskMatch[1]), Number(b(body).status));
      send(res, 200, { status: world.task(Number(taskMatch[1])).status });
    } else return false;
    return true;
  }

  const listening = await listen(server.server, options);
  const speed = options.speed ?? 0;
  const ticker = speed > 0 ? setInterval(() => world.clock.advance(speed * 200), 200) : undefined;
  ticker?.unref();

  return {
    url: listening.url,
    port: listening.port,
    sim,
    close: () => {
      clearInterval(ticker);
      return listening.close();
    },
  };
}
