import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { written } from '../store/conditional.ts';
import { epochSeconds, keys, TTL_ATTRIBUTE } from '../store/table.ts';
import type { ApiResult } from './types.ts';

/** Standard Webhooks senders retry for about 3 days; records outlast that (≥ 76 h). */
export const IDEMPOTENCY_TTL_SECONDS = 80 * 3600;
/** An in-progress record left by a crashed invocation frees the key after this. */
export const IN_PROGRESS_SECONDS = 120;

export type Begin =
  | { kind: 'new' }
  | { kind: 'replay'; response: ApiResult }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

/**
 * Idempotency records in DynamoDB with single-item conditional writes.
 * Not Powertools' idempotency utility: it deletes its record when the handler throws, but a refused
 * (4xx) request keeps its answer for the key (Stripe's rule, tested), and its key is a hash of the
 * event where ours is scoped per caller and route. dynalite ignores
 * ReturnValuesOnConditionCheckFailure, so after a failed condition the record is read back.
 */
export class IdempotencyStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async begin(scope: string, key: string, bodyHash: string, nowMs: number): Promise<Begin> {
    const Key = keys.idempotency(scope, key);
    const made = await written(
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...Key,
            status: 'in-progress',
            bodyHash,
            [TTL_ATTRIBUTE]: epochSeconds(nowMs) + IN_PROGRESS_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': epochSeconds(nowMs) },
        }),
      ),
    );
    if (made) return { kind: 'new' };
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    if (!Item) return this.begin(scope, key, bodyHash, nowMs); // expired and removed in between
    if (Item.bodyHash !== bodyHash) return { kind: 'mismatch' };
    if (Item.status === 'completed')
      return { kind: 'replay', response: JSON.parse(Item.response as string) as ApiResult };
    return { kind: 'in-progress' };
  }

  async complete(
    scope: string,
    key: string,
    bodyHash: string,
    response: ApiResult,
    nowMs: number,
  ): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.idempotency(scope, key),
          status: 'completed',
          bodyHash,
          response: JSON.stringify(response),
          [TTL_ATTRIBUTE]: epochSeconds(nowMs) + IDEMPOTENCY_TTL_SECONDS,
        },
      }),
    );
  }

  /** Frees the key after a failure, so the sender's retry runs the request again. */
  async abandon(scope: string, key: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.idempotency(scope, key) }));
  }
}
