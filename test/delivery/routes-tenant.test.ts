import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLog } from '../../shared/delivery/log-store.ts';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';

/*
 * GET /deliveries through the real route and middy stack, with the log in dynalite: a key scoped
 * to company 1 sees company 1's deliveries only, by event id and in a day's listing alike.
 */
let api: ApiStack;
const now = Date.parse('2026-12-01T08:00:00Z');
const event = (eventId: string, companyId: number) => ({
  id: `eb-${eventId}`,
  source: 'byrobot.bridge',
  'detail-type': 'Call Completed',
  time: '2026-12-01T08:00:00Z',
  detail: { eventId, companyId, taskId: 7 },
});

beforeAll(async () => {
  api = await startApiStack({ now: () => now });
  const log = new DeliveryLog(api.deps.doc, api.deps.tableName);
  const ok = { ok: true, statusCode: 200, vendorCode: null, latencyMs: 12, response: 'ok' };
  for (const [id, company] of [
    ['evt-company-1', 1],
    ['evt-company-2', 2],
  ] as const)
    await log.recordAttempt(id, 'crm-webhook', event(id, company), 1, ok, 'delivered', {
      nowMs: now,
      replay: false,
    });
});
afterAll(() => api?.close());

const get = (query: Record<string, string>, key: string) =>
  api.call('get-deliveries', {
    method: 'GET',
    path: '/deliveries',
    headers: api.auth(key),
    queryStringParameters: query,
  });

describe('GET /deliveries: tenant scope', () => {
  it("a day's listing shows a company-scoped key only its companies' deliveries", async () => {
    const all = await get({ date: '2026-12-01' }, KEYS.admin);
    expect((all.json.deliveries as { eventId: string }[]).map((d) => d.eventId).sort()).toEqual([
      'evt-company-1',
      'evt-company-2',
    ]);
    const mine = await get({ date: '2026-12-01' }, KEYS.company1);
    expect(mine.status).toBe(200);
    expect((mine.json.deliveries as { eventId: string }[]).map((d) => d.eventId)).toEqual(['evt-company-1']);
  });

  it("another company's event is not found by its id", async () => {
    expect((await get({ eventId: 'evt-company-2' }, KEYS.company1)).status).toBe(404);
    expect((await get({ eventId: 'evt-company-1' }, KEYS.company1)).status).toBe(200);
  });
});
