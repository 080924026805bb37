import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

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
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
