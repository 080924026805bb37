import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unlessConditionFails, written } from '../store/conditional.ts';
import { partitionItems } from '../store/query.ts';
import { epochSeconds, keys, recordOf, TTL_ATTRIBUTE } from '../store/table.ts';

/** A job `queueing` this long was abandoned mid-send: the API function's timeout is 29 s. */
export const QUEUEING_STUCK_MS = 5 * 60_000;
/** Import jobs are kept 30 days for `GET /imports/{id}`, then expire. */
const RETENTION_SECONDS = 30 * 24 * 3600;
/** Per-row problems listed per kind in a response or a job; more are counted, not listed. */
export const MAX_STORED_PROBLEMS = 1000;
/**
 * And at most this many bytes of them together: the idempotency record stores the whole response
 * and a job is one item, both under DynamoDB's 400 KB item limit (3,000 invalid rows made 432 KB).
 */
export const PROBLEMS_BUDGET_BYTES = 150_000;

type Problems = Pick<ImportJob, 'invalid' | 'duplicates' | 'warnings'>;

/** The first problems of each kind (by row) that fit the budget, and whether any was left out. */
export function capProblems(all: Problems): Problems & { problemsTruncated: boolean } {
  let budget = PROBLEMS_BUDGET_BYTES;
  let truncated = false;
  const take = <T>(list: readonly T[]): T[] => {
    const kept: T[] = [];
    for (const item of list) {
      const size = JSON.stringify(item).length * 3; // UTF-8 worst case
      if (kept.length >= MAX_STORED_PROBLEMS || size > budget) {
        truncated = true;
        break;
      }
      budget -= size;
      kept.push(item);
    }
    return kept;
  };
  const invalid = take(all.invalid);
  const duplicates = take(all.duplicates);
  const warnings = take(all.warnings);
  return { invalid, duplicates, warnings, problemsTruncated: truncated };
}

export interface ImportJob {
  importId: string;
  taskId: number;
  companyId: number;
  taskName: string;
  /**
   * `queueing` until the last chunk message is sent (then `accepted`): a job still `queueing`
   * minutes later lost its sender mid-way (QUEUEING_STUCK_MS) and GET /imports/{id} says so.
   */
  status: 'queueing' | 'accepted' | 'completed' | 'completed_with_errors' | 'failed';
  createdAt: string;
  finishedAt?: string;
  received: number;
  /** Valid rows (`counts.valid`); the stored attribute keeps its first name so older jobs still read. */
  accepted: number;
  duplicatesCount: number;
  invalidCount: number;
  chunksTotal: number;
  chunksSucceeded: number;
  chunksFailed: number;
  rowsFailed: number;
  imported: number;
  repeats: number;
  variableFailures: number;
  invalid: Array<{ index: number; field: string; rule: string; message: string }>;
  duplicates: Array<{ index: number; phone: string; duplicateOf: number }>;
  warnings: Array<{ index: number; field: string; rule: string; message: string }>;
  problemsTruncated: boolean;
  /** Chunks 0..n-1 were sent (set after each SendMessageBatch); the sweeper sends the rest. */
  queuedChunks?: number;
  /** When a sweeper took the job over (epoch ms): one sweeper at a time re-sends its chunks. */
  sweptAt?: number;
}

/** A job's row counts as GET /imports/{id} and the Import Completed event both give them. */
export const importCounts = (job: ImportJob) => ({
  received: job.received,
  valid: job.accepted,
  duplicates: job.duplicatesCount,
  invalid: job.invalidCount,
  imported: job.imported,
  repeats: job.repeats,
  variableFailures: job.variableFailures,
  failedRows: job.rowsFailed,
});

/** The rows of one chunk as its queue message carries them. */
export type ChunkRows = Array<{
  index: number;
  name: string;
  phone: string;
  properties?: Record<string, string>;
}>;

/** The UTC day of an import's IMPORTQ# index item. */
export const queueingDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface ImportChunk {
  chunk: number;
  status: 'pending' | 'done' | 'failed';
  rows: number;
  firstIndex: number;
  lastIndex: number;
  imported?: number;
  repeats?: number;
  variableFailures?: number;
  lastError?: string;
  /** Kept until the chunk is done, so a message that was never sent can be rebuilt (sweeper). */
  pendingRows?: ChunkRows;
}

/** Import jobs and their chunks in the one table; counters move with single-item atomic updates. */
export class ImportStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: ImportJob, chunks: ImportChunk[], nowMs: number): Promise<void> {
    const expiresAt = epochSeconds(nowMs) + RETENTION_SECONDS;
    // The index first: a job the sweeper cannot find would stay `queueing` for good.
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.importQueueing(queueingDay(nowMs), job.importId),
          at: nowMs,
          [TTL_ATTRIBUTE]: expiresAt,
        },
      }),
    );
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.importJob(job.importId), ...job, [TTL_ATTRIBUTE]: expiresAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    // Chunks before any message is sent: a worker always finds its chunk.
    for (const chunk of chunks) {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.importChunk(job.importId, chunk.chunk), ...chunk, [TTL_ATTRIBUTE]: expiresAt },
        }),
      );
    }
  }

  async job(importId: string): Promise<ImportJob | null> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.importJob(importId), ConsistentRead: true }),
    );
    return Item ? recordOf<ImportJob>(Item) : null;
  }

  /** The job's chunks; their pending rows (up to 200 KB each) only when asked for (the sweeper). */
  async chunks(importId: string, options: { withRows?: boolean } = {}): Promise<ImportChunk[]> {
    const out: ImportChunk[] = [];
    const projection = options.withRows
      ? {}
      : {
          ProjectionExpression:
            '#c, #s, #r, firstIndex, lastIndex, imported, repeats, variableFailures, lastError',
          ExpressionAttributeNames: { '#c': 'chunk', '#s': 'status', '#r': 'rows' },
        };
    const items = partitionItems(this.doc, this.tableName, keys.importOf(importId), {
      skPrefix: 'CHUNK#',
      ...projection,
    });
    for await (const item of items) out.push(recordOf<ImportChunk>(item));
    return out;
  }

  async chunk(importId: string, chunk: number): Promise<ImportChunk | null> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.importChunk(importId, chunk),
        ConsistentRead: true,
      }),
    );
    return (Item as ImportChunk | undefined) ?? null;
  }

  /**
   * Marks a chunk done with byrobot's counts for it, once: the condition makes a redelivered message
   * that raced another worker change nothing. Returns the status it had before, or null when it was
   * already done. The job's counters move separately (countChunk), so a crash between the two is
   * mended by the redelivery.
   */
  async markChunkDone(
    importId: string,
    chunk: number,
    outcome: { imported: number; repeats: number; variableFailures: number },
  ): Promise<'pending' | 'failed' | null> {
    const out = await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.importChunk(importId, chunk),
          // Its rows go: a done chunk is never sent again, and the table keeps no more phones than it needs.
          UpdateExpression:
            'SET #s = :done, imported = :n, repeats = :r, variableFailures = :v REMOVE lastError, pendingRows',
          ConditionExpression: '#s <> :done',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':n': outcome.imported,
            ':r': outcome.repeats,
            ':v': outcome.variableFailures,
          },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out && ((out.Attributes?.status as 'pending' | 'failed') ?? 'pending');
  }

  /** Marks a chunk failed for good (its message goes to the dead-letter queue); false if it was not pending. */
  async markChunkFailed(importId: string, chunk: number, reason: string): Promise<boolean> {
    return written(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.importChunk(importId, chunk),
          UpdateExpression: 'SET #s = :failed, lastError = :e',
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':pending': 'pending',
            ':e': reason.slice(0, 500),
          },
        }),
      ),
    );
  }

  /**
   * Adds a chunk's outcome to the job's counters exactly once per outcome, whoever calls it and how
   * often: the job keeps the set of outcomes it has counted (`3:done`, `3:failed`) and each update is
   * conditional on its own tag being absent (single-item conditional writes, as dynalite has no
   * transactions). A chunk given up on and later redriven to success moves from failed to succeeded.
   * Returns the job as it is now.
   */
  async countChunk(
    importId: string,
    chunk: { chunk: number; rows: number },
    outcome: { as: 'done'; imported: number; repeats: number; variableFailures: number } | { as: 'failed' },
  ): Promise<ImportJob> {
    const done = `${chunk.chunk}:done`;
    const failed = `${chunk.chunk}:failed`;
    const attempts =
      outcome.as === 'failed'
        ? [
            {
              condition: 'NOT contains(counted, :done) AND NOT contains(counted, :failed)',
              tag: failed,
              delta: { f: 1, rf: chunk.rows },
            },
          ]
        : [
            {
              condition: 'NOT contains(counted, :done) AND NOT contains(counted, :failed)',
              tag: done,
              delta: { s: 1 },
            },
            {
              condition: 'NOT contains(counted, :done) AND contains(counted, :failed)',
              tag: done,
              delta: { s: 1, f: -1, rf: -chunk.rows },
            },
          ];
    for (const { condition, tag, delta } of attempts) {
      const d = { s: 0, f: 0, rf: 0, ...delta };
      const ok = outcome.as === 'done' ? outcome : { imported: 0, repeats: 0, variableFailures: 0 };
      const out = await unlessConditionFails(
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.importJob(importId),
            UpdateExpression:
              'ADD chunksSucceeded :s, chunksFailed :f, rowsFailed :rf, imported :i, repeats :r, variableFailures :v, counted :tag',
            ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(counted) OR (${condition}))`,
            ExpressionAttributeValues: {
              ':s': d.s,
              ':f': d.f,
              ':rf': d.rf,
              ':i': ok.imported,
              ':r': ok.repeats,
              ':v': ok.variableFailures,
              ':tag': new Set([tag]),
              ':done': done,
              ':failed': failed,
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (out) return out.Attributes as ImportJob;
    }
    const job = await this.job(importId);
    if (!job) throw new Error(`import ${importId} is unknown`);
    return job;
  }

  /** Chunks 0..sent-1 are in the queue: a sweeper sends only the ones after them. */
  async markSent(importId: string, sent: number): Promise<void> {
    await written(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.importJob(importId),
          UpdateExpression: 'SET queuedChunks = :n',
          ConditionExpression: 'attribute_not_exists(queuedChunks) OR queuedChunks < :n',
          ExpressionAttributeValues: { ':n': sent },
        }),
      ),
    );
  }

  /** The imports created on a UTC day whose last chunk message was not (yet) known to be sent. */
  async queueingOn(day: string): Promise<Array<{ importId: string; at: number }>> {
    const out: Array<{ importId: string; at: number }> = [];
    const items = partitionItems(this.doc, this.tableName, keys.importsQueueingOn(day), {
      ConsistentRead: true,
    });
    for await (const item of items) out.push({ importId: item.sk as string, at: item.at as number });
    return out;
  }

  async dropQueueing(importId: string, createdMs: number): Promise<void> {
    await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.importQueueing(queueingDay(createdMs), importId),
      }),
    );
  }

  /**
   * Takes a stuck job over for one sweeper: the job is still `queueing` and no other sweeper took it
   * within `staleMs` (one that died mid-send leaves it to the next). False when another has it.
   */
  async claimStuck(importId: string, nowMs: number, staleMs: number): Promise<boolean> {
    return written(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.importJob(importId),
          UpdateExpression: 'SET sweptAt = :now',
          ConditionExpression: '#s = :queueing AND (attribute_not_exists(sweptAt) OR sweptAt < :stale)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':now': nowMs, ':queueing': 'queueing', ':stale': nowMs - staleMs },
        }),
      ),
    );
  }

  /**
   * Every chunk message is sent: `queueing` → `accepted` (a job already finished stays so), and its
   * IMPORTQ# index item goes (created at `createdMs`).
   */
  async markQueued(importId: string, createdMs: number): Promise<void> {
    await this.markAccepted(importId);
    await this.dropQueueing(importId, createdMs);
  }

  private async markAccepted(importId: string): Promise<void> {
    await written(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.importJob(importId),
          UpdateExpression: 'SET #s = :accepted',
          ConditionExpression: '#s = :queueing',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':accepted': 'accepted', ':queueing': 'queueing' },
        }),
      ),
    );
  }

  /**
   * Closes the job once; only the worker whose update wins publishes Import Completed. A job still
   * `queueing` may close too: when every chunk was counted, every message had been sent.
   */
  async finish(importId: string, status: ImportJob['status'], finishedAt: string): Promise<boolean> {
    return written(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.importJob(importId),
          UpdateExpression: 'SET #s = :s, finishedAt = :t',
          ConditionExpression: '#s IN (:accepted, :queueing)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':s': status,
            ':t': finishedAt,
            ':accepted': 'accepted',
            ':queueing': 'queueing',
          },
        }),
      ),
    );
  }
}
