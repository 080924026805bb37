import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';
import { getImport, postImport, simTask } from '../support/app-requests.ts';

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
    const taskId = simTask(api, '半途');
    const count = api.deps.imports.countChunk.bind(api.deps.imports);
    let crashes = 1;
    api.deps.imports.countChunk = async (...args) => {
      if (crashes-- > 0) throw new Error('the function died here');
      return count(...args);
    };
    try {
      const r = await postImport(api, taskId, { customers: rows(2500) });
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

describe('Synchronous import with many bad rows (issue 17 §5)', () => {
  const newTask = () => simTask(api, '坏行');
  const bad = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `无效的客户名称${i}`.repeat(2), phone: `12${i}` }));
  const importRows = (taskId: number, customers: unknown[], key: string) =>
    postImport(api, taskId, { customers }, { 'idempotency-key': key });

  it('3,000 invalid rows beside 500 valid: 200, lists capped with counts exact, and the key replays it', async () => {
    const taskId = newTask();
    const customers = [...rows(500, 50_000), ...bad(3000)];
    const first = await importRows(taskId, customers, `many-bad-${taskId}`);
    expect(first.status).toBe(200);
    expect(first.json.counts).toMatchObject({ valid: 500, invalid: 3000, imported: 500 });
    expect(first.json.problemsTruncated).toBe(true);
    expect((first.json.invalid as unknown[]).length).toBeLessThan(3000);
    expect(JSON.stringify(first.json).length).toBeLessThan(400_000);
    const again = await importRows(taskId, customers, `many-bad-${taskId}`);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json).toEqual(first.json);
  });

  it('a failure to write the idempotency record leaves the done import a 200', async () => {
    const taskId = newTask();
    const complete = api.deps.idempotency.complete.bind(api.deps.idempotency);
    api.deps.idempotency.complete = async () => {
      throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
        name: 'ValidationException',
      });
    };
    try {
      const r = await importRows(taskId, rows(10, 60_000), `record-fails-${taskId}`);
      expect(r.status).toBe(200);
      expect(r.json.counts).toMatchObject({ imported: 10 });
    } finally {
      api.deps.idempotency.complete = complete;
    }
    // The key was freed: the retry runs again and byrobot counts the rows as repeats.
    const retry = await importRows(taskId, rows(10, 60_000), `record-fails-${taskId}`);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.json.counts).toMatchObject({ imported: 0, repeats: 10 });
  });
});

describe('Import worker near the end of its time (issue 17 §6)', () => {
  it('stops taking chunks before the deadline and marks the ones on their last receive failed, rows kept', async () => {
    const stack = await startApiStack();
    try {
      const taskId = simTask(stack, '超时');
      stack.queue.stop(); // the test hands the worker its batch itself
      const sent = rows(2500, 70_000);
      const r = await postImport(stack, taskId, { customers: sent });
      expect(r.status).toBe(202);
      const importId = r.json.importId as string;
      // byrobot never answers an import: each attempt ends at the client's timeout
      stack.sim.sim.addFault({ kind: 'hang', endpoint: 'importTaskCustomer' });
      const records = [0, 1, 2].map((chunk) => ({
        messageId: `m${chunk}`,
        receiptHandle: `r${chunk}`,
        body: JSON.stringify({
          importId,
          chunk,
          companyId: 1,
          taskId,
          rows: sent
            .slice(chunk * 1000, chunk * 1000 + 1000)
            .map((row, i) => ({ index: chunk * 1000 + i, ...row })),
        }),
        attributes: { ApproximateReceiveCount: '3' }, // the last receive (maxReceiveCount 3)
      }));
      // The function's clock as the worker reads it: time for the first chunk, then nearly none.
      const clock = [5000, 5000];
      const { processImportBatch } = await import('../../shared/api/worker.ts');
      const out = await processImportBatch(
        { Records: records as never },
        stack.deps,
        { maxReceiveCount: 3, reserveMs: 200, minChunkMs: 500 },
        () => clock.shift() ?? 100,
      );
      expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m0', 'm1', 'm2']);
      const chunks = await stack.deps.imports.chunks(importId);
      expect(chunks.map((c) => c.status)).toEqual(['failed', 'failed', 'failed']);
      expect(chunks[1]?.lastError).toMatch(/not attempted/);
      expect(chunks[2]?.lastError).toMatch(/not attempted/);
      // Only the first chunk was sent to byrobot; the job is closed, so its import does not hang.
      const job = await stack.deps.imports.job(importId);
      expect(job).toMatchObject({ status: 'failed', chunksFailed: 3, rowsFailed: 2500 });
    } finally {
      await stack.close();
    }
  });
});

describe('An import whose sender died between writing the job and its last SendMessageBatch', () => {
  it('stays `queueing`, and GET /imports/{id} says it is stuck once the sender cannot still be running', async () => {
    let clock = Date.now();
    const stack = await startApiStack({ now: () => clock });
    try {
      const taskId = simTask(stack, '卡住');
      // SQS takes the first batch and then the function dies (no local component can kill a
      // Lambda between two SendMessageBatch calls; the queue is made to fail instead).
      const real = stack.deps.queue;
      let batches = 0;
      Object.defineProperty(stack.deps, 'queue', {
        value: {
          send: async (messages: ReadonlyArray<{ id: string; body: string }>) => {
            await real.send(messages.slice(0, 1));
            batches++;
            throw new Error('Task timed out after 29.00 seconds');
          },
        },
      });
      const r = await postImport(stack, taskId, { customers: rows(3000, 80_000) });
      expect(r.status).toBe(500);
      expect(batches).toBe(1);
      await stack.queue.drained();
      const items =
        (await stack.deps.doc.send(new ScanCommand({ TableName: stack.deps.tableName }))).Items ?? [];
      const job = items.find((i) => i.sk === 'JOB');
      const importId = job?.importId as string;
      expect(job?.status).toBe('queueing');
      const get = () => getImport(stack, importId, stack.auth(KEYS.admin));
      // One chunk was imported, the others were never queued: not finished, not yet called stuck
      expect((await get()).json).toMatchObject({
        status: 'queueing',
        stuck: false,
        chunks: { succeeded: 1, pending: 2 },
      });
      clock += 6 * 60_000;
      expect((await get()).json).toMatchObject({ status: 'queueing', stuck: true });
    } finally {
      await stack.close();
    }
  });
});
