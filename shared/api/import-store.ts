import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { epochSeconds, keys, TTL_ATTRIBUTE } from '../store/table.ts';

/** Import jobs are kept 30 days for `GET /imports/{id}`, then expire. */
const RETENTION_SECONDS = 30 * 24 * 3600;
/** Per-row problems stored with a job; more are counted, not listed. */
export const MAX_STORED_PROBLEMS = 1000;

export interface ImportJob {
  importId: string;
  taskId: number;
  companyId: number;
  taskName: string;
  status: 'accepted' | 'completed' | 'completed_with_errors' | 'failed';
  createdAt: string;
  finishedAt?: string;
  received: number;
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
}

export interface ImportChunk {
  chunk: number;
  status: 'pending' | 'done' | 'failed';
  rows: number;
  firstIndex: number;
  lastIndex: number;
  imported?: number;
  lastError?: string;
}

/** Import jobs and their chunks in the one table; counters move with single-item atomic updates. */
export class ImportStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: ImportJob, chunks: ImportChunk[], nowMs: number): Promise<void> {
    const expiresAt = epochSeconds(nowMs) + RETENTION_SECONDS;
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
    if (!Item) return null;
    const { pk: _pk, sk: _sk, [TTL_ATTRIBUTE]: _ttl, ...job } = Item;
    return job as ImportJob;
  }

  async chunks(importId: string): Promise<ImportChunk[]> {
    const out: ImportChunk[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
          ExpressionAttributeValues: { ':pk': keys.importOf(importId), ':c': 'CHUNK#' },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, [TTL_ATTRIBUTE]: _ttl, ...chunk } = item;
        out.push(chunk as ImportChunk);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
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
   * Marks a chunk done, once: the condition makes a redelivered message that raced another worker
   * count nothing. Returns the status it had before, or null when it was already done.
   */
  async markChunkDone(
    importId: string,
    chunk: number,
    imported: number,
  ): Promise<'pending' | 'failed' | null> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.importChunk(importId, chunk),
          UpdateExpression: 'SET #s = :done, imported = :n REMOVE lastError',
          ConditionExpression: '#s <> :done',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':done': 'done', ':n': imported },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return (out.Attributes?.status as 'pending' | 'failed') ?? 'pending';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return null;
      throw error;
    }
  }

  /** Marks a chunk failed for good (its message goes to the dead-letter queue); false if it was not pending. */
  async markChunkFailed(importId: string, chunk: number, reason: string): Promise<boolean> {
    try {
      await this.doc.send(
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
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Adds a chunk's outcome to the job's counters and returns the job as it is now. */
  async addOutcome(
    importId: string,
    delta: {
      succeeded?: number;
      failed?: number;
      rowsFailed?: number;
      imported?: number;
      repeats?: number;
      variableFailures?: number;
    },
  ): Promise<ImportJob> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.importJob(importId),
        UpdateExpression:
          'ADD chunksSucceeded :s, chunksFailed :f, rowsFailed :rf, imported :i, repeats :r, variableFailures :v',
        ExpressionAttributeValues: {
          ':s': delta.succeeded ?? 0,
          ':f': delta.failed ?? 0,
          ':rf': delta.rowsFailed ?? 0,
          ':i': delta.imported ?? 0,
          ':r': delta.repeats ?? 0,
          ':v': delta.variableFailures ?? 0,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as ImportJob;
  }

  /** Closes the job once; only the worker whose update wins publishes Import Completed. */
  async finish(importId: string, status: ImportJob['status'], finishedAt: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.importJob(importId),
          UpdateExpression: 'SET #s = :s, finishedAt = :t',
          ConditionExpression: '#s = :accepted',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status, ':t': finishedAt, ':accepted': 'accepted' },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
