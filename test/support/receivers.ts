import { createServer } from 'node:http';
import { text as readText } from 'node:stream/consumers';
import { listen } from '../../dev/listen.ts';

/** One request a receiver got, as it came over the wire. */
export interface ReceivedRequest {
  method: string;
  /** Path and query, exactly as sent. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A local HTTP receiver standing in for DingTalk, WeCom, Feishu or a customer's endpoint. Every
 * request is recorded; `answer` decides the reply (status and body) for the n-th request (0-based),
 * so a test can script "fail three times, then succeed" or a vendor's errcode answer. Waiting is by
 * condition: `until(n)` resolves once n requests have arrived.
 */
export async function startReceiver(
  answer: (n: number, req: ReceivedRequest) => { status: number; body: string } = () => ({
    status: 200,
    body: '{"errcode":0,"errmsg":"ok"}',
  }),
) {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer(async (req, res) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const request = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers,
      body: await readText(req),
    };
    const reply = answer(requests.length, request);
    requests.push(request);
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    for (const w of waiters.splice(0))
      if (requests.length >= w.n) w.resolve();
      else waiters.push(w);
  });
  const listening = await listen(server);
  return {
    url: listening.url,
    close: listening.close,
    requests,
    until: (n: number) =>
      new Promise<void>((resolve) => {
        if (requests.length >= n) resolve();
        else waiters.push({ n, resolve });
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
