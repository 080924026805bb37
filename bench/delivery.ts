import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { startDynalite } from '../dev/dynamo.ts';
import { listen } from '../dev/listen.ts';
import { Deliverer } from '../shared/delivery/deliverer.ts';
import { DeliveryLog } from '../shared/delivery/log-store.ts';
import { buildRequest, sendOnce } from '../shared/delivery/send.ts';
import { createDocumentClient, ensureTable } from '../shared/store/dynamo.ts';
import { callCompletedEvent } from '../test/support/delivery-event.ts';

/**
 * Delivery figures: signing alone, sign + post to a local receiver, and 100 events arriving at once
 * through the whole Deliverer (rate limiter, post, the log's writes to dynalite).
 */
export async function benchDelivery() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0}'));
  });
  const receiver = await listen(server);
  const secret = `whsec_${Buffer.from('bench-secret-bench-secret-32byte').toString('base64')}`;
  const creds = { webhookUrl: `${receiver.url}/hook`, secrets: [secret] };
  const event = callCompletedEvent();
  const n = 2000;
  let t = performance.now();
  for (let i = 0; i < n; i++) buildRequest('webhook', creds, event, 1, Date.now());
  const signMicroseconds = ((performance.now() - t) / n) * 1000;
  for (let i = 0; i < 50; i++) await sendOnce('webhook', creds, event, 1); // warm the connection pool
  const posts = 500;
  t = performance.now();
  for (let i = 0; i < posts; i++) await sendOnce('webhook', creds, event, 1);
  const postMs = (performance.now() - t) / posts;

  const dynamo = await startDynalite();
  const doc = createDocumentClient({ endpoint: dynamo.endpoint });
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  await ensureTable(doc, tableName);
  const deliverer = new Deliverer({
    destination: { kind: 'webhook', name: 'bench-webhook', secret: 'bench' },
    credentials: async () => creds,
    log: new DeliveryLog(doc, tableName),
  });
  const burst = Array.from({ length: 100 }, () => callCompletedEvent());
  t = performance.now();
  const outcomes = await Promise.all(burst.map((e) => deliverer.deliver(e, 1)));
  const burstMs = performance.now() - t;
  await receiver.close();
  await dynamo.close();
  return {
    signMicroseconds,
    postMs,
    burstEvents: burst.length,
    burstMs,
    burstPerSecond: Math.round((burst.length / burstMs) * 1000),
    delivered: outcomes.filter((o) => o.action === 'delivered').length,
  };
}
