import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';

/*
 * The worker's two writes per chunk (the chunk marked done, then the job's counters) with a crash
 * between them: no local component can crash a Lambda between two DynamoDB calls, so the store's
 * second write is made to fail once. Before, the redelivered message found the chunk done, skipped
 * the counters, and the job stayed `accepted` forever.
 */
let api: ApiStack;
beforeAll(async () => {
  api = await startApiStack();
});
afterAll(async () => {
  await api?.close();
});

const rows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    name: `客户${i}`,
    phone: `1360${String(from + i).padStart(7, '0')}`,
  }));

describe('Import worker: a crash between marking a chunk done and counting it', () => {
  it('the redelivery counts the chunk once and the import completes', async () => {
    const taskId = api.sim.sim.world().createTask({
      companyId: 1,
      taskName: '半途',
      taskType: 2,
      userPhoneIds: [11],
      robotDefId: 101,
    }) as number;
    const count = api.deps.imports.countChunk.bind(api.deps.imports);
    let crashes = 1;
    api.deps.imports.countChunk = async (...args) => {
      if (crashes-- > 0) throw new Error('the function died here');
      return count(...args);
    };
    try {
      const r = await api.call('import-customers', {
        method: 'POST',
        path: `/tasks/${taskId}/customers`,
        pathParameters: { taskId: String(taskId) },
        headers: api.auth(KEYS.admin),
        body: { customers: rows(2500) },
      });
      expect(r.status).toBe(202);
      await api.queue.drained();
      const job = await api.deps.imports.job(r.json.importId as string);
      expect(job).toMatchObject({ status: 'completed', chunksSucceeded: 3, chunksFailed: 0, imported: 2500 });
      expect(api.sim.sim.world().task(taskId).phones.size).toBe(2500);
    } finally {
      api.deps.imports.countChunk = count;
    }
  });
});
