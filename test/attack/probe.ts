import { connect } from 'node:net';

/**
 * Raw HTTP/1.1 over a socket, for the requests fetch refuses to send (bad targets, absolute-form,
 * a body cut short). Resolves with the status line's code, or null when the server closed the
 * connection without answering; `send` may write more and end early.
 */
export function rawRequest(
  url: string,
  head: string,
  options: {
    body?: Buffer | string;
    abortAfterBody?: boolean;
    stream?: { total: number; chunk: number; chunked?: boolean };
  } = {},
): Promise<{ status: number | null; text: string; sent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    let done = false;
    let sent = 0;
    const finish = () => {
      if (done) return;
      done = true;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text, sent });
    };
    socket.on('data', (d) => {
      text += d.toString('utf8');
      // A full answer with a length: done without waiting for the server to close.
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text.slice(0, end));
      const whole = length
        ? Buffer.byteLength(text.slice(end + 4)) >= Number(length[1])
        : /transfer-encoding: chunked/i.test(text.slice(0, end)) && text.endsWith('\r\n0\r\n\r\n');
      if (end >= 0 && whole) {
        finish();
        socket.destroy();
      }
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', async () => {
      socket.write(head.replace(/\n/g, '\r\n'));
      if (options.body !== undefined) socket.write(options.body);
      if (options.stream) {
        const raw = Buffer.alloc(options.stream.chunk, 0x20);
        const block = options.stream.chunked
          ? Buffer.concat([Buffer.from(`${raw.length.toString(16)}\r\n`), raw, Buffer.from('\r\n')])
          : raw;
        for (; sent < options.stream.total && !done && !socket.destroyed; sent += raw.length) {
          if (!socket.write(block)) await new Promise((r) => socket.once('drain', r).once('close', r));
        }
      }
      if (options.abortAfterBody) socket.destroy();
    });
  });
}

/** The body of a raw response, de-chunked when it came with `transfer-encoding: chunked`. */
export function bodyOf(text: string): string {
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end);
  let rest = text.slice(end + 4);
  if (!/transfer-encoding: chunked/i.test(head)) return rest;
  let out = '';
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (!size) return out;
    // Sizes count bytes; the text is decoded, so cut by bytes.
    const bytes = Buffer.from(rest.slice(line + 2));
    out += bytes.subarray(0, size).toString('utf8');
    rest = bytes.subarray(size + 2).toString('utf8');
  }
}
