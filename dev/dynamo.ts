import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { listen } from './listen.ts';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/**
 * dynalite: the DynamoDB wire protocol in-process, in memory. It has no transactions, streams, TTL
 * or PartiQL, which is why the bridge uses only single-item conditional writes.
 *
 * With `path`, dynalite keeps its tables in a LevelDB directory there (classic-level, whose prebuilt
 * binaries ship in its npm package, so no compiler is needed) and a later run on the same directory
 * finds them again: `npm start -- --data-dir <dir>`. One process at a time: LevelDB locks the directory.
 */
export async function startDynalite(
  options: { port?: number; host?: string; path?: string } = {},
): Promise<LocalDynamo> {
  // LevelDB creates its own directory but not missing parents (`.local/dynamo` on a fresh clone).
  if (options.path) {
    mkdirSync(options.path, { recursive: true });
    claimDataDir(options.path);
  }
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  const { url, port, close } = await listen(server, options);
  return {
    endpoint: url,
    port,
    close: async () => {
      await close();
      if (options.path) releaseDataDir(options.path);
    },
  };
}

/** Who holds a data directory: LevelDB's own lock only says "Database is closed" to the second comer. */
const OWNER_FILE = 'OWNER.json';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Refuses a data directory another live process holds, naming it; takes over one whose holder is
 * gone (a kill -9 leaves the file behind).
 */
function claimDataDir(path: string): void {
  const file = join(path, OWNER_FILE);
  if (existsSync(file)) {
    let owner: { pid?: number; command?: string; since?: string } = {};
    try {
      owner = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // unreadable: treated as stale
    }
    if (typeof owner.pid === 'number' && owner.pid !== process.pid && alive(owner.pid))
      throw new Error(
        `data directory ${path} is in use by process ${owner.pid} (${owner.command ?? 'unknown'}, since ${owner.since ?? '?'}): stop it, or give this run another --data-dir`,
      );
  }
  writeFileSync(
    file,
    JSON.stringify({
      pid: process.pid,
      command: process.argv.slice(1).join(' '),
      since: new Date().toISOString(),
    }),
  );
}

function releaseDataDir(path: string): void {
  const file = join(path, OWNER_FILE);
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid === process.pid) rmSync(file);
  } catch {
    // already gone
  }
}
