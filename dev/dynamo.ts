import { mkdirSync } from 'node:fs';
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
  if (options.path) mkdirSync(options.path, { recursive: true });
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  const { url, port, close } = await listen(server, options);
  return { endpoint: url, port, close };
}
