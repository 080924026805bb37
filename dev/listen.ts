import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  /** `http://host:port` */
  url: string;
  port: number;
  /** Stops accepting, drops open keep-alive connections, resolves when closed. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (127.0.0.1 and a free port by default) and rejects with the server's error,
 * `EADDRINUSE` included, so `npm start` can say which port is taken. Every local server uses it.
 */
export async function listen(
  server: Server,
  options: { host?: string; port?: number } = {},
): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
