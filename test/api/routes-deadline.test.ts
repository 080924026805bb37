import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROUTE_DEADLINE_RESERVE_MS } from '../../shared/http/stack.ts';
import { type ApiStack, startApiStack } from '../support/api-stack.ts';
import { postImport, simTask } from '../support/app-requests.ts';

/*
 * byrobot answering an import later than the API function may run (its answer can take minutes):
 * the route answers a 503 of its own before the function's timeout, and frees the Idempotency-Key.
 * The routes here get a 4 s timeout instead of the manifest's 29 s, so the deadline comes first.
 */
const ROUTE_TIMEOUT_MS = 4000;
let api: ApiStack;
beforeAll(async () => {
  api = await startApiStack({ routeTimeoutMs: ROUTE_TIMEOUT_MS });
});
afterAll(() => api?.close());

const rows = [
  { name: '慢一', phone: '13600000001' },
  { name: '慢二', phone: '13600000002' },
];

it('an import byrobot answers after the deadline → 503 problem before the timeout, the key freed', async () => {
  const taskId = simTask(api, '慢导入');
  // byrobot imports the rows, then answers 20 s later: long after the function's time.
  api.sim.sim.addFault({ kind: 'lateAnswer', endpoint: 'importTaskCustomer', latencyMs: 20_000, times: 1 });
  const key = `deadline-${taskId}`;
  const late = await postImport(api, taskId, { customers: rows }, { 'idempotency-key': key });
  // Without the deadline the request would wait for byrobot's answer and get its 200.
  expect(late.status).toBe(503);
  expect(late.headers['content-type']).toBe('application/problem+json');
  expect(Number(late.headers['retry-after'])).toBeGreaterThan(0);
  expect(late.json).toMatchObject({ type: expect.stringMatching(/byrobot-unavailable$/), status: 503 });
  expect(String(late.json.detail)).toMatch(/ran out of time waiting for byrobot.*may still take effect/);
  expect(ROUTE_DEADLINE_RESERVE_MS).toBeLessThan(ROUTE_TIMEOUT_MS);

  // The rows did land; the same key runs again (not 409 in progress) and byrobot counts them as repeats.
  expect(api.sim.sim.world().task(taskId).phones.size).toBe(2);
  const again = await postImport(api, taskId, { customers: rows }, { 'idempotency-key': key });
  expect(again.status).toBe(200);
  expect(again.json.counts).toMatchObject({ valid: 2, imported: 0, repeats: 2 });
  expect(api.sim.sim.world().task(taskId).phones.size).toBe(2);
});
