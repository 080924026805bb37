import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiStack, startApiStack } from '../support/api-stack.ts';
import { postAction, simTask } from '../support/app-requests.ts';

/*
 * byrobot never answering is the one fault that needs the client's timeout, so this test has a stack
 * of its own with a short one; the other route tests keep the stack's default, which only a hang
 * reaches (a short default failed them when a loaded machine made the simulator slow to answer).
 */
let api: ApiStack;
let task: number;
beforeAll(async () => {
  api = await startApiStack({ client: { timeoutMs: 400 } });
  task = simTask(api, '不应答', 2);
});
afterAll(() => api?.close());

it('hang → 503 with Retry-After once the client gives up, no internals', async () => {
  api.sim.sim.addFault({ kind: 'hang', endpoint: 'task/pause' });
  const r = await postAction(api, task, 'pause');
  expect(r.status).toBe(503);
  expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  expect(JSON.stringify(r.json)).not.toMatch(/stack|at .*\.ts|demo-secret/);
});
