import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
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
 *
 * A malformed request line or header (Node's parser refuses it) is answered 400 and the socket
 * closed, and a socket reset mid-request is dropped: no single client can take the process down.
 */
export async function listen(
  server: Server,
  options: { host?: string; port?: number } = {},
): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
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

/** What a refused upload may still send, dropped unread, before its connection is cut. */
const LINGER_BYTES = 64 * 1024 * 1024;

/** A body over the limit: the reader stops at the limit instead of buffering the rest. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body is over ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/**
 * Reads a request body, refusing it as soon as it passes `limit` bytes (a declared Content-Length
 * over the limit is refused before a byte is read), so a 200 MB upload costs no more memory than
 * the limit. A client that disconnects mid-upload rejects the promise; the caller drops the request.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge(limit));
  // Listeners, not `for await`: leaving an async iterator early destroys the request and with it the
  // socket, and a reset socket with unread input makes the client's kernel drop the 413 unread.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        req.off('data', onData).off('end', onEnd);
        reject(new BodyTooLarge(limit));
      }
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

/**
 * The request target's path and query, from origin-form (`/a?b`) or absolute-form
 * (`http://host/a?b`), or null when it is neither (`//`, `http://[bad/`, `*`). `new URL` on such a
 * target throws, which in an async request handler used to end the process.
 */
export function requestTarget(raw: string | undefined): { pathname: string; search: string } | null {
  const target = raw ?? '/';
  let url: URL;
  try {
    if (target.startsWith('/')) {
      if (target.startsWith('//')) return null;
      url = new URL(target, 'http://local');
    } else {
      url = new URL(target);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    }
  } catch {
    return null;
  }
  return { pathname: url.pathname, search: url.search };
}

/**
 * Wraps an async request handler: whatever it throws, the process lives. A body over the limit is
 * answered 413 and the connection closed (the rest is not read); a client gone mid-request is
 * dropped; any other error is a 500 (`answer` writes the bodies), since reaching it is a bug of ours.
 */
export function guarded(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  answer: (res: ServerResponse, status: number, detail: string) => void,
): RequestListener {
  return (req, res) => {
    // Without listeners an 'error' on either stream (a reset socket) is thrown by the emitter.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const socket = req.socket; // res detaches it once finished
    handler(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed || (req.destroyed && !(error instanceof BodyTooLarge))) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLarge) {
        answer(res, 413, error.message);
        // Lingering close, as nginx does: read and drop what the client still sends until it has
        // seen the 413 and stops, so no reset loses the answer; a sender that goes on past
        // LINGER_BYTES (or stalls) is cut off. Nothing is kept, so memory stays flat.
        let dropped = 0;
        req.on('data', (chunk: Buffer) => {
          dropped += chunk.length;
          if (dropped > LINGER_BYTES) socket.destroy();
        });
        req.resume();
        socket.setTimeout(10_000, () => socket.destroy());
        return;
      }
      answer(res, 500, 'the local server failed on this request');
    });
  };
}
