import { afterEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../shared/events/builders.ts';
import { type ApiStack, startApiStack } from '../support/api-stack.ts';
import { postImport, simTask } from '../support/app-requests.ts';

/*
 * On AWS the API function can die between writing an import's job and its last SendMessageBatch
 * (a timeout, an out-of-memory kill). No local component can kill a Lambda between two calls, so
 * the queue (or the progress write after it) is made to fail once: the rest is the real path, the
 * local queue, the import worker, dynalite and the byrobot simulator. The sweeper
 * (sweepStuckImports, the import-sweeper function's logic) must finish the job: every row reaches
 * byrobot once, the job completes, Import Completed is published once.
 */
const ROWS = 10_500; // 11 chunks of at most 1,000: two SendMessageBatch calls of at most 10
const rows = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({
    name: `客户${i}`,
    phone: `1370${String(from + i).padStart(7, '0')}`,
  }));

let stack: ApiStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function stuckImport(crash: 'second batch' | 'after first batch, before its progress') {
  let clock = Date.now();
  stack = await startApiStack({ now: () => clock });
  const s = stack;
  const taskId = simTask(s, '清扫');
  const real = s.deps.queue;
  let batches = 0;
  Object.defineProperty(s.deps, 'queue', {
    configurable: true,
    value: {
      send: async (messages: ReadonlyArray<{ id: string; body: string }>) => {
        if (crash === 'second batch' && batches === 1) throw new Error('Task timed out after 29.00 seconds');
        batches++;
        await real.send(messages);
      },
    },
  });
  const markSent = s.deps.imports.markSent.bind(s.deps.imports);
  if (crash !== 'second batch')
    s.deps.imports.markSent = async () => {
      throw new Error('Task timed out after 29.00 seconds');
    };
  const r = await postImport(
    s,
    taskId,
    { customers: rows(ROWS, 0) },
    { 'idempotency-key': `stuck-${taskId}` },
  );
  expect(r.status).toBe(500);
  expect(batches).toBe(1);
  s.deps.imports.markSent = markSent;
  Object.defineProperty(s.deps, 'queue', { configurable: true, value: real });
  await s.queue.drained();
  const [entry] = await s.deps.imports.queueingOn(new Date(clock).toISOString().slice(0, 10));
  expect(entry).toBeDefined();
  const importId = entry!.importId;
  return { s, taskId, importId, advance: (ms: number) => (clock += ms), now: () => clock };
}

const completedEvents = (s: ApiStack, importId: string) =>
  s.bus.bus.events.filter(
    (e) =>
      e['detail-type'] === DETAIL_TYPES.importCompleted &&
      (e.detail as { importId?: string }).importId === importId,
  );

describe('The import sweeper finishes an import whose sender died before its last SendMessageBatch', () => {
  it.each(['second batch', 'after first batch, before its progress'] as const)(
    'sender dies at the %s: the sweep queues the rest, each row reaches byrobot once',
    async (crash) => {
      const { s, taskId, importId, advance, now } = await stuckImport(crash);
      const { sweepStuckImports } = await import('../../shared/api/imports.ts');
      const stuck = await s.deps.imports.job(importId);
      expect(stuck).toMatchObject({ status: 'queueing', chunksTotal: 11, chunksSucceeded: 10 });
      // Within the grace period its sender could still be running: the sweep leaves it alone.
      expect((await sweepStuckImports(s.deps, now())).requeued).toEqual([]);
      const added: string[] = [];
      const addMetric = s.deps.metrics.addMetric.bind(s.deps.metrics);
      s.deps.metrics.addMetric = (name, unit, value) => {
        if (value > 0) added.push(name);
        return addMetric(name, unit, value);
      };
      advance(6 * 60_000);
      // Only the chunk that was never sent goes again: the ten in the queue are done, and skipped.
      expect((await sweepStuckImports(s.deps, now())).requeued).toEqual([{ importId, chunks: 1 }]);
      expect(added).toEqual(expect.arrayContaining(['ImportsStuck', 'ImportChunksRequeued']));
      await s.queue.drained();
      const job = await s.deps.imports.job(importId);
      expect(job).toMatchObject({
        status: 'completed',
        chunksSucceeded: 11,
        chunksFailed: 0,
        imported: ROWS,
        repeats: 0,
      });
      expect(s.sim.sim.world().task(taskId).phones.size).toBe(ROWS);
      expect(completedEvents(s, importId)).toHaveLength(1);
      // The index item is gone and a second sweep finds nothing.
      expect(await s.deps.imports.queueingOn(new Date(now()).toISOString().slice(0, 10))).toEqual([]);
      expect((await sweepStuckImports(s.deps, now() + 60_000)).requeued).toEqual([]);
      const done = await s.deps.imports.chunks(importId, { withRows: true });
      expect(done.every((c) => c.status === 'done' && c.pendingRows === undefined)).toBe(true);
    },
  );

  it('two sweepers at once: one takes the job, the chunk is sent once', async () => {
    const { s, importId, advance, now } = await stuckImport('second batch');
    const { sweepStuckImports } = await import('../../shared/api/imports.ts');
    advance(6 * 60_000);
    s.queue.stop();
    const sent: string[] = [];
    const real = s.deps.queue;
    Object.defineProperty(s.deps, 'queue', {
      configurable: true,
      value: {
        send: async (messages: ReadonlyArray<{ id: string; body: string }>) => {
          sent.push(...messages.map((m) => m.id));
          await real.send(messages);
        },
      },
    });
    const [a, b] = await Promise.all([sweepStuckImports(s.deps, now()), sweepStuckImports(s.deps, now())]);
    expect([...a.requeued, ...b.requeued]).toEqual([{ importId, chunks: 1 }]);
    expect(sent).toEqual(['10']);
  });
});
