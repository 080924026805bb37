import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/** A port nothing listens on now (the OS picks it). */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Whether nothing listens on `port` now. */
export const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** Waits until `check` holds, looking every 200 ms; throws naming `what` after `ms`. */
export const until = async (what: string, check: () => boolean | Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** Kills the process group of a child started `detached`: it and everything it started. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    if (pid) process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * `npm start <args>` from the repository, in a process group of its own (detached, as a terminal's
 * foreground job), on free ports unless given, its events in a fresh temporary file unless given.
 * `output()` is what it has printed so far (stdout; with `stderr`, both).
 */
export async function startNpm(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    port?: number;
    simPort?: number;
    eventsFile?: string;
    stderr?: boolean;
  } = {},
) {
  const port = options.port ?? (await freePort());
  const simPort = options.simPort ?? (await freePort());
  const eventsFile = options.eventsFile ?? join(mkdtempSync(join(tmpdir(), 'npm-start-')), 'events.ndjson');
  const child: ChildProcess = spawn('npm', ['start', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      SIM_PORT: String(simPort),
      EVENTS_FILE: eventsFile,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on('data', collect);
  if (options.stderr) child.stderr?.on('data', collect);
  return { child, port, simPort, eventsFile, output: () => output };
}
