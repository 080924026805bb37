import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { written } from '../store/conditional.ts';
import { partitionItems } from '../store/query.ts';
import { epochSeconds, keys, recordOf, TTL_ATTRIBUTE } from '../store/table.ts';
import type { TaskSnapshot } from './snapshot.ts';

/** The poller's state in DynamoDB: snapshots, the ledger of announced calls, and the per-company lease. */
export class PollerStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Takes the company's lease unless another live holder has it. */
  async acquireLease(companyId: number, owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return written(
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.lease(companyId),
            owner,
            leaseUntil: nowMs + leaseMs,
            [TTL_ATTRIBUTE]: epochSeconds(nowMs + leaseMs) + 3600,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': nowMs, ':owner': owner },
        }),
      ),
    );
  }

  /** Gives the lease back, if it is still ours. */
  async releaseLease(companyId: number, owner: string): Promise<void> {
    await written(
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.lease(companyId),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  }

  /** Whether a cycle of this company ever completed its baseline (see markCompanyKnown). */
  async isCompanyKnown(companyId: number): Promise<boolean> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.companyMeta(companyId) }),
    );
    return out.Item !== undefined;
  }

  /**
   * Marks the company's baseline as complete: from now on a task without a snapshot was created
   * since, and its whole life is announced. Written only after a first cycle with no failure.
   */
  async markCompanyKnown(companyId: number, at: string): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.companyMeta(companyId), knownSince: at } }),
    );
  }

  /** One task's snapshot (consistent read), or null before the poller first saw the task. */
  async snapshot(companyId: number, taskId: number): Promise<TaskSnapshot | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.snapshot(companyId, taskId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? recordOf<TaskSnapshot>(out.Item) : null;
  }

  async loadSnapshots(companyId: number): Promise<Map<number, TaskSnapshot>> {
    const out = new Map<number, TaskSnapshot>();
    const items = partitionItems(this.doc, this.tableName, keys.snapshotsOf(companyId), {
      skPrefix: 'TASK#',
    });
    for await (const item of items) out.set(item.taskId as number, recordOf<TaskSnapshot>(item));
    return out;
  }

  /**
   * Commits a snapshot only if nobody committed another version since we read it: the version
   * condition is what makes "publish, then commit" safe to repeat after a crash.
   */
  async commitSnapshot(snapshot: TaskSnapshot): Promise<boolean> {
    return written(
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.snapshot(snapshot.companyId, snapshot.taskId), ...snapshot },
          ...(snapshot.version === 1
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :previous',
                ExpressionAttributeValues: { ':previous': snapshot.version - 1 },
              }),
        }),
      ),
    );
  }

  /**
   * Records the call keys announced for a task at a snapshot version. Written before the snapshot,
   * keyed by that version, so a retry after a crash overwrites the same items rather than adding.
   */
  async recordAnnounced(companyId: number, taskId: number, version: number, callKeys: readonly string[]) {
    const PART = 2000; // ~40 KB an item, far under DynamoDB's 400 KB
    const items = [];
    for (let part = 0; part * PART < callKeys.length; part++) {
      items.push({
        PutRequest: {
          Item: {
            ...keys.ledger(companyId, taskId, version, part),
            keys: callKeys.slice(part * PART, (part + 1) * PART),
          },
        },
      });
    }
    for (let i = 0; i < items.length; i += 25) {
      let RequestItems: Record<string, typeof items> | undefined = {
        [this.tableName]: items.slice(i, i + 25),
      };
      for (let attempt = 0; RequestItems && Object.keys(RequestItems).length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept items unprocessed');
        const out = await this.doc.send(new BatchWriteCommand({ RequestItems }));
        RequestItems = out.UnprocessedItems as typeof RequestItems;
        if (RequestItems && Object.keys(RequestItems).length > 0)
          await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  /** Every call key ever announced for a task (the completion sweep reads this). */
  async announcedKeys(companyId: number, taskId: number): Promise<Set<string>> {
    const out = new Set<string>();
    for await (const item of partitionItems(this.doc, this.tableName, keys.ledgerOf(companyId, taskId)))
      for (const key of (item.keys as string[]) ?? []) out.add(key);
    return out;
  }
}
