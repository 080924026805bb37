import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { written } from '../store/conditional.ts';
import { partitionItems } from '../store/query.ts';
import { epochSeconds, keys, TTL_ATTRIBUTE } from '../store/table.ts';
import type { AttemptResult, BusEvent } from './send.ts';

/*
 * The delivery log, in the bridge's one table (its keys: `keys.delivery*` and `destinationState` in
 * shared/store/table.ts), each write a single-item write (dynalite). Log items expire (TTL) after
 * `retentionDays`; the destination's state does not.
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'retrying' | 'dead-lettered' | 'held';

export interface AttemptRecord {
  destination: string;
  attempt: number;
  at: string;
  ok: boolean;
  statusCode: number | null;
  vendorCode: number | null;
  latencyMs: number;
  response: string;
  replay: boolean;
}

export interface DeliverySummary {
  eventId: string;
  destination: string;
  detailType: string;
  status: DeliveryStatus;
  attempts: number;
  firstAttemptAt: string;
  lastAttemptAt: string;
  lastStatusCode: number | null;
  /** The event as delivered, so one destination can get it again (`deliveries replay`). */
  event: string;
}

export interface DestinationState {
  destination: string;
  failingSince?: string;
  paused?: boolean;
  pausedAt?: string;
  lastError?: string;
}

export const DELIVERY_LOG_RETENTION_DAYS = 30;

export class DeliveryLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = DELIVERY_LOG_RETENTION_DAYS,
  ) {}

  private expiresAt(nowMs: number) {
    return epochSeconds(nowMs) + this.retentionDays * 86400;
  }

  /** Records one attempt and folds it into the event × destination summary. */
  async recordAttempt(
    eventId: string,
    destination: string,
    event: BusEvent,
    attempt: number,
    result: AttemptResult,
    status: DeliveryStatus,
    options: { nowMs: number; replay: boolean },
  ): Promise<void> {
    const at = new Date(options.nowMs).toISOString();
    const expiresAt = this.expiresAt(options.nowMs);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.deliveryAttempt(eventId, destination, at, attempt),
          kind: 'attempt',
          destination,
          attempt,
          at,
          ok: result.ok,
          statusCode: result.statusCode,
          vendorCode: result.vendorCode,
          latencyMs: result.latencyMs,
          response: result.response,
          replay: options.replay,
          [TTL_ATTRIBUTE]: expiresAt,
        },
      }),
    );
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(eventId, destination),
        UpdateExpression:
          'SET #status = :status, lastAttemptAt = :at, lastStatusCode = :code, detailType = :type, ' +
          'destination = :dest, eventId = :id, firstAttemptAt = if_not_exists(firstAttemptAt, :at), ' +
          '#event = if_not_exists(#event, :event), #ttl = :ttl ADD attempts :one',
        ExpressionAttributeNames: { '#status': 'status', '#event': 'event', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':status': status,
          ':at': at,
          ':code': result.statusCode,
          ':type': event['detail-type'],
          ':dest': destination,
          ':id': eventId,
          ':event': JSON.stringify(event),
          ':ttl': expiresAt,
          ':one': 1,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    if (out.Attributes?.attempts === 1)
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.deliveryOfDay(at, eventId, destination),
            eventId,
            destination,
            detailType: event['detail-type'],
            // So a day's listing shows a company-scoped key only its companies' events.
            ...(typeof event.detail?.companyId === 'number' ? { companyId: event.detail.companyId } : {}),
            [TTL_ATTRIBUTE]: expiresAt,
          },
        }),
      );
  }

  /** Sets a summary's status without an attempt (a paused destination holding the event). */
  async setStatus(
    eventId: string,
    destination: string,
    event: BusEvent,
    status: DeliveryStatus,
    nowMs: number,
  ) {
    const at = new Date(nowMs).toISOString();
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(eventId, destination),
        UpdateExpression:
          'SET #status = :status, detailType = :type, destination = :dest, eventId = :id, ' +
          'firstAttemptAt = if_not_exists(firstAttemptAt, :at), lastAttemptAt = if_not_exists(lastAttemptAt, :at), ' +
          'attempts = if_not_exists(attempts, :zero), #event = if_not_exists(#event, :event), #ttl = :ttl',
        ExpressionAttributeNames: { '#status': 'status', '#event': 'event', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':status': status,
          ':type': event['detail-type'],
          ':dest': destination,
          ':id': eventId,
          ':at': at,
          ':zero': 0,
          ':event': JSON.stringify(event),
          ':ttl': this.expiresAt(nowMs),
        },
      }),
    );
  }

  /** Every destination's summary and attempts for one event, attempts oldest first. */
  async forEvent(eventId: string): Promise<{ summaries: DeliverySummary[]; attempts: AttemptRecord[] }> {
    const summaries: DeliverySummary[] = [];
    const attempts: AttemptRecord[] = [];
    for await (const item of partitionItems(this.doc, this.tableName, keys.deliveriesOf(eventId))) {
      const { pk: _pk, sk, [TTL_ATTRIBUTE]: _ttl, kind, ...rest } = item;
      if (kind === 'attempt') attempts.push(rest as unknown as AttemptRecord);
      else if (String(sk).startsWith('DEST#')) summaries.push(rest as unknown as DeliverySummary);
    }
    attempts.sort((a, b) => a.at.localeCompare(b.at) || a.attempt - b.attempt);
    return { summaries, attempts };
  }

  /** The deliveries first attempted on a day (UTC), newest first, at most `limit`. */
  async forDay(
    day: string,
    limit = 100,
  ): Promise<{ eventId: string; destination: string; detailType: string; companyId: number | null }[]> {
    const page = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.deliveriesOn(day) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((i) => ({
      eventId: String(i.eventId),
      destination: String(i.destination),
      detailType: String(i.detailType),
      companyId: typeof i.companyId === 'number' ? i.companyId : null,
    }));
  }

  async state(destination: string): Promise<DestinationState> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.destinationState(destination) }),
    );
    const { pk: _pk, sk: _sk, ...rest } = (out.Item ?? {}) as Record<string, unknown>;
    return { ...(rest as Partial<DestinationState>), destination };
  }

  /** A failure: keeps the first failure's time, returns the state after it. */
  async markFailing(destination: string, nowMs: number, error: string): Promise<DestinationState> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.destinationState(destination),
        UpdateExpression: 'SET failingSince = if_not_exists(failingSince, :now), lastError = :error',
        ExpressionAttributeValues: { ':now': new Date(nowMs).toISOString(), ':error': error },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { ...(out.Attributes as DestinationState), destination };
  }

  async markHealthy(destination: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.destinationState(destination),
        UpdateExpression: 'REMOVE failingSince, lastError',
      }),
    );
  }

  /** Pauses once: true only for the call that paused it (one alarm, one log line). */
  async pause(destination: string, nowMs: number): Promise<boolean> {
    return written(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.destinationState(destination),
          UpdateExpression: 'SET paused = :true, pausedAt = :now',
          ConditionExpression: 'attribute_not_exists(paused) OR paused = :false',
          ExpressionAttributeValues: {
            ':true': true,
            ':false': false,
            ':now': new Date(nowMs).toISOString(),
          },
        }),
      ),
    );
  }

  /** Resumes: the next message is delivered again, and the failure clock starts afresh. */
  async resume(destination: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.destinationState(destination),
        UpdateExpression: 'SET paused = :false REMOVE pausedAt, failingSince, lastError',
        ExpressionAttributeValues: { ':false': false },
      }),
    );
  }
}
