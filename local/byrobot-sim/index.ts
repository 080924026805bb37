import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from '../../dev/listen.ts';
import { INTENT_RESULT_NAME } from '../../shared/byrobot/enums.ts';
import { toBeijingIso } from '../../shared/time.ts';
import type { Fault, PushType } from './faults.ts';
import {
  type CallbackRegistration,
  type ContentTypeName,
  type Push,
  Pusher,
  type PushState,
  type PushStats,
  parseLevel,
} from './push.ts';
import { createSimServer, type SimStats, send } from './server.ts';
import { type Level, SimError, type SimInbound, type SimTask, World } from './world.ts';

export type { CallbackRegistration, Push, PushStats } from './push.ts';
export { CONTENT_TYPES, RETRY_INTERVALS_MS } from './push.ts';

export interface CallbackInput {
  companyId: number;
  /** Call records, manual intent changes and inbound calls are POSTed here. */
  callRecordUrl?: string | null;
  /** Task status changes (JOB_INFO_RESULT) are POSTed here. */
  taskStatusUrl?: string | null;
  /** `json` (public cloud, application/json) or `text` (private cloud, text/plain). @default 'json' */
  contentType?: ContentTypeName;
}

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
  /** Push callback URLs registered from the start (as byrobot's console configures them). */
  callbacks?: CallbackInput[];
  /** Real milliseconds a receiver has to answer a push; then the attempt failed. @default 5000 */
  pushTimeoutMs?: number;
}

export interface Simulator {
  world(): World;
  advance(seconds: number): string;
  /** Push faults (PUSH_FAULT_KINDS) strike the callbacks; the others, requests (faults.ts). */
  addFault(fault: Omit<Fault, 'id'>): number;
  clearFaults(): void;
  /** Request counts, and the push callbacks' per type. */
  stats(): SimStats & { pushes: PushStats };
  resetStats(): void;
  reset(): void;
  /** Skews byrobot's server clock (for 408 tests). */
  setClockOffset(ms: number): void;
  /** Registers or changes a company's push callback URLs (fields left out keep their value). */
  registerCallbacks(input: CallbackInput): CallbackRegistration;
  callbacks(): CallbackRegistration[];
  unregisterCallbacks(companyId: number): void;
  /** A manual intent change in byrobot's CRM: phoneLogInfo answers `level` from now on, and it is pushed. */
  regrade(callInstanceId: number, level: Level, by?: string): void;
  /** An inbound call to the company, ended now and pushed. */
  inbound(input: { companyId: number; phone?: string; level?: Level }): SimInbound;
  /** The push callbacks of the current world, oldest first. */
  pushes(filter?: { type?: PushType; state?: PushState; callInstanceId?: number }): Push[];
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

  const pusher = new Pusher({
    faults: server.faults,
    seed: worldOptions.seed,
    timeoutMs: options.pushTimeoutMs,
  });
  pusher.attach(world);
  for (const c of options.callbacks ?? []) pusher.register(c);

  const sim: Simulator = {
    world: () => world,
    advance: (seconds) => toBeijingIso(world.clock.advance(seconds * 1000)),
    addFault: (fault) => server.faults.add(fault).id,
    clearFaults: () => server.faults.remove(),
    stats: () => structuredClone({ ...server.stats, pushes: pusher.stats }),
    resetStats: () => {
      server.resetStats();
      pusher.resetStats();
    },
    reset: () => {
      world = new World(worldOptions);
      pusher.attach(world);
      server.faults.remove();
      sim.resetStats();
    },
    setClockOffset: (ms) => {
      server.serverClockOffsetMs = ms;
    },
    registerCallbacks: (input) => pusher.register(input),
    callbacks: () => [...pusher.registrations.values()].map((r) => ({ ...r })),
    unregisterCallbacks: (companyId) => {
      pusher.unregister(companyId);
    },
    regrade: (callInstanceId, level, by) => {
      world.regrade(callInstanceId, parseLevel(level), by);
    },
    inbound: (input) => world.inbound(input),
    pushes: (filter) => pusher.list(filter).map((p) => structuredClone(p)),
  };

  const b = (x: unknown) => (x ?? {}) as Record<string, unknown>;
  const taskSummary = (t: SimTask) => ({
    taskId: t.id,
    companyId: t.companyId,
    name: t.name,
    status: t.status,
    counts: t.counts,
  });
  async function control(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: unknown,
  ): Promise<boolean> {
    const m = req.method;
    const taskMatch = /^tasks\/(\d+)(\/status)?$/.exec(path);
    const intentMatch = /^calls\/(\d+)\/intent$/.exec(path);
    const callbacksMatch = /^callbacks\/(\d+)$/.exec(path);
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
    } else if (path === 'stats' && m === 'GET') send(res, 200, sim.stats());
    else if (path === 'stats/reset' && m === 'POST') {
      sim.resetStats();
      send(res, 200, sim.stats());
    } else if (path === 'callbacks' && m === 'GET') send(res, 200, { callbacks: sim.callbacks() });
    else if (path === 'callbacks' && m === 'POST') send(res, 200, sim.registerCallbacks(b(body) as never));
    else if (callbacksMatch && m === 'DELETE') {
      sim.unregisterCallbacks(Number(callbacksMatch[1]));
      send(res, 200, { callbacks: sim.callbacks() });
    } else if (intentMatch && m === 'POST') {
      const id = Number(intentMatch[1]);
      const by = b(body).by;
      if (by !== undefined && typeof by !== 'string') throw new Error('by is a string (who changed it)');
      try {
        world.regrade(id, parseLevel(b(body).level), by);
      } catch (error) {
        if (!(error instanceof SimError && error.code === 404)) throw error;
        send(res, 404, { error: `no call ${id}` });
        return true;
      }
      const result = (world.calls.get(id)?.outcome?.results ?? []).find((r) => r.name === INTENT_RESULT_NAME);
      send(res, 200, {
        callInstanceId: id,
        level: b(body).level,
        resultValue: result?.value ?? null,
        pushes: pusher.list({ type: 'intent', callInstanceId: id }).length,
      });
    } else if (path === 'inbound' && m === 'POST') {
      const input = b(body);
      const level = input.level === undefined ? undefined : parseLevel(input.level);
      const call = world.inbound({ companyId: input.companyId, phone: input.phone, level });
      send(res, 201, {
        inboundInstanceId: call.inboundInstanceId,
        companyId: call.companyId,
        callJobId: call.callJobId,
        customerTelephone: call.phone,
      });
    } else if (path === 'pushes' && m === 'GET') {
      const q = new URL(req.url ?? '/', 'http://sim').searchParams;
      const id = q.get('callInstanceId');
      const list = pusher.list({
        type: (q.get('type') ?? undefined) as PushType | undefined,
        state: (q.get('state') ?? undefined) as PushState | undefined,
        callInstanceId: id === null ? undefined : Number(id),
      });
      send(res, 200, {
        inFlight: pusher.inFlight,
        pushes: list.map(({ body: _body, record: _record, generation: _g, ...p }) =>
          q.get('body') === '1' && _body ? { ...p, body: JSON.parse(_body) } : p,
        ),
      });
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
        tasks: [...world.tasks.values()].map(taskSummary),
      });
    } else if (taskMatch && !taskMatch[2] && m === 'GET') {
      const t = world.task(Number(taskMatch[1]));
      send(res, 200, {
        ...taskSummary(t),
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
      pusher.close();
      return listening.close();
    },
  };
}
