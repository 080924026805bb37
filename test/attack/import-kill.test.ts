import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';

/*
 * Issue 14 §2: `npm start -- --data-dir`, a 30,000-row import (202), `kill -9` of the whole stack
 * while its chunks are being imported, a restart on the same directory. Before, the queue lived in
 * memory: the job stayed `accepted` forever and 25,000 rows never reached byrobot. byrobot here is
 * a simulator this test runs itself (BYROBOT_BASE_URL), so it outlives the bridge as the real one
 * would. ATTACK_KILLS=n kills it n times at random points (npm run test:attack uses 5).
 */
const ROWS = 30_000;
const KILLS = Number(process.env.ATTACK_KILLS ?? 1);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 120_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

let sim: RunningSimulator;
let child: ChildProcess | undefined;
const dataDir = join(mkdtempSync(join(tmpdir(), 'import-kill-')), 'data');
const eventsFile = join(dataDir, '..', 'events.ndjson');
let port: number;

async function startBridge(): Promise<void> {
  let stdout = '';
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/start.ts', '--no-demo', '--poll-seconds', '3600', '--data-dir', dataDir],
    {
      env: {
        ...process.env,
        PORT: String(port),
        BYROBOT_BASE_URL: sim.url,
        BYROBOT_APP_KEY: 'demo-key',
        BYROBOT_APP_SECRET: 'demo-secret',
        EVENTS_FILE: eventsFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => process.env.ATTACK_DEBUG && process.stderr.write(d));
  await until('the bridge ready', () => /ready at http/.test(stdout), 60_000);
}
function kill9(): Promise<void> {
  const c = child!;
  const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  process.kill(-c.pid!, 'SIGKILL');
  return gone;
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, speed: 0 });
  port = await freePort();
});
afterAll(async () => {
  try {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone already
  }
  await sim?.close();
});

describe('kill -9 mid-import with --data-dir', () => {
  it(`loses no row and imports none twice across ${KILLS} kill(s)`, async () => {
    const taskId = sim.sim.world().createTask({
      companyId: 1,
      taskName: '断电',
      taskType: 2,
      userPhoneIds: [11],
      robotDefId: 101,
    }) as number;
    const task = sim.sim.world().task(taskId);
    // Each chunk takes byrobot a while, so the kills land while chunks are in flight.
    sim.sim.addFault({ kind: 'latency', endpoint: 'importTaskCustomer', latencyMs: 150 });
    await startBridge();
    const api = `http://127.0.0.1:${port}`;
    const body = JSON.stringify({
      customers: Array.from({ length: ROWS }, (_, i) => ({
        name: `客户${i}`,
        phone: `13${String(i).padStart(9, '0')}`,
      })),
    });
    const send = () =>
      fetch(`${api}/tasks/${taskId}/customers`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer local-dev-key',
          'content-type': 'application/json',
          'idempotency-key': 'kill-9-import',
        },
        body,
      });
    const accepted = await send();
    expect(accepted.status).toBe(202);
    const { importId } = (await accepted.json()) as { importId: string };

    const killedAt: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const threshold = Math.min(ROWS - 2000, task.phones.size + 1000 + Math.floor(Math.random() * 3000));
      await until(`${threshold} rows in byrobot`, () => task.phones.size >= threshold);
      await kill9();
      killedAt.push(task.phones.size);
      await startBridge();
    }
    // The kills landed mid-import: there was work left to lose.
    expect(killedAt.every((n) => n < ROWS)).toBe(true);

    const job = async () =>
      (await (
        await fetch(`${api}/imports/${importId}`, { headers: { authorization: 'Bearer local-dev-key' } })
      ).json()) as {
        status: string;
        counts: { imported: number; repeats: number };
        chunks: Record<string, number>;
      };
    await until('the import finished', async () => (await job()).status !== 'accepted').catch(async (e) => {
      console.error(JSON.stringify(await job()).slice(0, 3000), task.phones.size, killedAt);
      throw e;
    });
    const done = await job();
    expect(done.status).toBe('completed');
    // Every row reached byrobot once: a chunk cut off by a kill came back and byrobot counted its
    // rows already in as repeats, not as new customers.
    expect(task.phones.size).toBe(ROWS);
    expect(task.calls.length).toBe(ROWS);
    expect(done.counts.imported + done.counts.repeats).toBe(ROWS);
    expect(done.chunks).toMatchObject({ total: 30, succeeded: 30, failed: 0, pending: 0 });
    const completed = existsSync(eventsFile)
      ? readFileSync(eventsFile, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"Import Completed"') && l.includes(importId))
      : [];
    expect(completed.length).toBeGreaterThanOrEqual(1);
    // The same key after the restarts still answers the first 202.
    const replay = await send();
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    await kill9();
  }, 300_000);
});
