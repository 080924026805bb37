import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';

/*
 * POST /tasks for a company the key may act on but byrobot's app key cannot see: the caller's
 * mistake, answered 422 naming body.companyId, never a 502 that pages the operators (issue 15, 7).
 */
let api: ApiStack;
beforeAll(async () => {
  api = await startApiStack();
});
afterAll(() => api?.close());

describe('POST /tasks: a company byrobot does not know', () => {
  it('answers 422 naming body.companyId', async () => {
    const r = await api.call('create-task', {
      method: 'POST',
      path: '/tasks',
      headers: api.auth(KEYS.admin),
      body: {
        companyId: 999,
        taskName: '没有这家公司',
        userPhoneIds: [11],
        robotDefId: 101,
        concurrencyQuota: 1,
      },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(422);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json.errors).toEqual([expect.objectContaining({ field: 'body.companyId' })]);
  });
});
