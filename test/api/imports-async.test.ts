import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../shared/events/builders.ts';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';

let api: ApiStack;
const phone = (i: number) => `13${String(i).padStart(9, '0')}`;

async function createTask(name: string) {
  const r = await api.call('create-task', {
    method: 'POST',
    path: '/tasks',
    headers: api.auth(KEYS.admin),
    body: { companyId: 1, taskName: name, userPhoneIds: [11], robotDefId: 101 },
  });
  return r.json.taskId as number;
}
const post = (taskId: number, body: unknown) =>
  api.call('import-customers', {
    method: 'POST',
    path: `/tasks/${taskId}/customers`,
    pathParameters: { taskId: String(taskId) },
    headers: api.auth(KEYS.admin),
    body,
  });
const status = (importId: string) =>
  api.call('get-import', {
    method: 'GET',
    path: `/imports/${importId}`,
    pathParameters: { importId },
    headers: api.auth(KEYS.readOnly),
  });

beforeAll(async () => {
  api = await startApiStack();
});
afterAll(() => api?.close());

describe('Imports: the asynchronous path', () => {
  it('50,000 rows, one chunk failing twice then succeeding: every valid row imported exactly once', async () => {
    const taskId = await createTask('大批量');
    const customers = Array.from({ length: 50_000 }, (_, i) => ({
      name: `客户${i}`,
      phone: phone(i),
      properties: { crmId: `C${i}` },
    }));
    customers[10] = { name: '', phone: phone(10), properties: { crmId: 'C10' } }; // invalid: no name
    customers[20] = { ...customers[19]! }; // a duplicate of row 19
    // The worker's client tries twice per delivery: four failures are two failed deliveries of one chunk.
    api.sim.sim.addFault({ kind: 'http5xx', endpoint: 'task/importTaskCustomer', times: 4 });

    const accepted = await post(taskId, { customers });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.location).toBe(`/imports/${accepted.json.importId}`);
    expect(accepted.json).toMatchObject({
      status: 'accepted',
      counts: { received: 50_000, accepted: 49_998, invalid: 1, duplicates: 1 },
    });
    await api.queue.drained();

    const done = await status(accepted.json.importId as string);
    expect(done.json).toMatchObject({
      status: 'completed',
      counts: { accepted: 49_998, imported: 49_998, repeats: 0, failedRows: 0 },
      chunks: { total: 50, succeeded: 50, failed: 0, pending: 0 },
      invalid: [{ index: 10, field: 'name', rule: 'required' }],
      duplicates: [{ index: 20, duplicateOf: 19 }],
    });
    expect(api.queue.stats.received).toBe(52); // 50 chunks, one of them received three times
    expect(api.queue.deadLetters).toHaveLength(0);

    const task = api.sim.sim.world().task(taskId);
    expect(task.calls).toHaveLength(49_998);
    expect(new Set(task.calls.map((c) => c.phone)).size).toBe(49_998);
    const completed = api.bus.bus.events.filter((e) => e['detail-type'] === DETAIL_TYPES.importCompleted);
    expect(completed).toHaveLength(1);
    expect(completed[0]?.detail).toMatchObject({
      importId: accepted.json.importId,
      outcome: 'completed',
      counts: { imported: 49_998 },
    });
  }, 120_000);

  it('a chunk that keeps failing lands in the dead-letter list with its rows, shows as failed, and redrives', async () => {
    const one = await startApiStack({ queueBatchSize: 1 });
    try {
      const taskId = (await one.sim.sim.world().createTask({
        companyId: 1,
        taskName: '死信',
        taskType: 2,
        userPhoneIds: [11],
        robotDefId: 101,
      })) as number;
      // byrobot fails every import of chunk 0 (and only that chunk) until the redrive.
      let redriven = false;
      one.queue.attach(async (event) => {
        const { chunk } = JSON.parse(event.Records[0]!.body) as { chunk: number };
        one.sim.sim.clearFaults();
        if (chunk === 0 && !redriven)
          one.sim.sim.addFault({ kind: 'code500', endpoint: 'task/importTaskCustomer' });
        return one.worker(event);
      });
      const customers = Array.from({ length: 2500 }, (_, i) => ({
        name: `c${i}`,
        phone: phone(100_000 + i),
      }));
      const accepted = await one.call('import-customers', {
        method: 'POST',
        path: `/tasks/${taskId}/customers`,
        pathParameters: { taskId: String(taskId) },
        headers: one.auth(KEYS.admin),
        body: { customers },
      });
      const importId = accepted.json.importId as string;
      await one.queue.drained();
      const get = () =>
        one.call('get-import', {
          method: 'GET',
          path: `/imports/${importId}`,
          pathParameters: { importId },
          headers: one.auth(KEYS.readOnly),
        });
      const failed = await get();
      expect(failed.json).toMatchObject({
        status: 'completed_with_errors',
        counts: { failedRows: 1000, imported: 1500 },
        chunks: { succeeded: 2, failed: 1 },
      });
      expect(
        (failed.json.chunks as { list: Array<{ status: string; error: string | null }> }).list[0],
      ).toMatchObject({ status: 'failed', error: expect.stringContaining('500') });
      expect(one.queue.deadLetters).toHaveLength(1);
      expect(JSON.parse(one.queue.deadLetters[0]!.body).rows).toHaveLength(1000);
      expect(
        one.bus.bus.events.filter((e) => e['detail-type'] === DETAIL_TYPES.importCompleted)[0]?.detail,
      ).toMatchObject({ outcome: 'completed_with_errors' });

      redriven = true;
      expect(one.queue.redrive()).toBe(1);
      await one.queue.drained();
      const after = await get();
      expect(after.json).toMatchObject({
        counts: { imported: 2500, failedRows: 0 },
        chunks: { succeeded: 3, failed: 0 },
      });
      expect(one.sim.sim.world().task(taskId).calls).toHaveLength(2500);
    } finally {
      await one.close();
    }
  });

  it('an unknown or malformed import id is 404 / 400', async () => {
    expect((await status('imp_zzzzzzzz0123456789abcdef0123')).status).toBe(404);
    expect((await status('nope')).status).toBe(400);
  });
});

describe('Imports: random and hostile payloads', () => {
  it('never a 5xx, never a crash, never a valid row dropped', async () => {
    const taskId = await createTask('模糊测试');
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.object({ maxDepth: 1 }),
    );
    const rowArb = fc.oneof(
      fc.record({
        name: fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant('')),
        phone: fc.oneof(
          fc.integer({ min: 13_000_000_000, max: 19_999_999_999 }).map(String),
          fc.string({ maxLength: 20 }),
          fc.constant('+86 139 1234 5678'),
        ),
        properties: fc.option(
          fc.dictionary(
            fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('__proto__', 'constructor')),
            value,
          ),
          { nil: undefined },
        ),
      }),
      fc.anything(),
    );
    const bodyArb = fc.oneof(
      fc.record({ customers: fc.array(rowArb, { maxLength: 25 }) }),
      fc.record({ customers: fc.array(rowArb, { maxLength: 5 }), companyId: fc.anything() }),
      fc.anything(),
    );
    let seen = 0;
    await fc.assert(
      fc.asyncProperty(bodyArb, async (body) => {
        const raw = JSON.stringify(body) ?? 'null';
        const r = await post(taskId, raw);
        expect(r.status).toBeLessThan(500);
        if (r.status === 200) {
          const counts = r.json.counts as {
            received: number;
            accepted: number;
            duplicates: number;
            invalid: number;
            imported: number;
            repeats: number;
          };
          expect(counts.accepted + counts.duplicates + counts.invalid).toBe(counts.received);
          // Every accepted row reached byrobot: new ones imported, earlier ones counted as repeats.
          expect(counts.imported + counts.repeats).toBe(counts.accepted);
          seen++;
        }
      }),
      { numRuns: 150 },
    );
    expect(seen).toBeGreaterThan(0);
  }, 120_000);
});
