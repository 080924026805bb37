import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { BridgeEvent } from '../events/builders.ts';
import { PublishFailedError, type PublishResult } from '../events/publisher.ts';
import { written } from '../store/conditional.ts';
import { partitionItems } from '../store/query.ts';
import { keys } from '../store/table.ts';

/*
 * The one ledger of announced calls that push (the callback processor) and pull (the poller as
 * reconciler) share: whichever path comes first announces a call attempt, the other finds it
 * announced. Every step is one single-item conditional write (dynalite has no transactions):
 *
 *   claim     PutItem  CALL#<co>#<id> / A#<attempt>  if absent, or a claim whose holder died
 *   publish   PutEvents (the claimant alone; the id is deterministic, so a takeover after a crash
 *             republishes the same id — at least once, never a second id)
 *   announce  UpdateItem state=announced  if still claiming (so it happens once), then
 *             ADD 1 to the task's counter CO#<co> / CALLS#<taskId>
 *
 * The counter is what lets the reconciler skip reading calls at all: done calls (byrobot's count)
 * minus announced ones is the gap. A crash between the two updates leaves the counter one short,
 * never high: the reconciler then reads calls it did not need to and finds them announced.
 */

/** One call attempt (outbound) or one inbound call, as the ledger keys it. */
export interface CallRef {
  companyId: number;
  callInstanceId: number;
  /** The redial attempt (`redial.times`); inbound calls have one, 0. */
  attempt: number;
  /** Which task's counter an announcement adds to; null for an inbound call. */
  taskId: number | null;
  inbound?: boolean;
}

export type Via = 'push' | 'poll';

export type ClaimOutcome =
  /** Ours: publish, then markAnnounced (or release on failure). */
  | 'claimed'
  /** Someone announced it already: nothing to do. */
  | 'announced'
  /** Someone else holds a live claim: look again later (they may yet fail). */
  | 'in-flight';

export interface AnnouncedInfo {
  eventId: string;
  via: Via;
  intentLevel?: string | null;
  /** More attributes kept on the announced item (e.g. the call's taskName, properties for re-grades). */
  extra?: Record<string, unknown>;
}

/** An announced (or claimed) attempt of a call, as the ledger keeps it. */
export interface LedgerAttempt {
  attempt: number;
  state: 'claiming' | 'announced';
  taskId: number | null;
  eventId: string | null;
  intentLevel: string | null;
  /** Whatever `extra` the announcement kept. */
  item: Record<string, unknown>;
}

export interface CallIntent {
  level: string;
  /** Changes applied so far; the next change's id is derived from seq + 1. */
  seq: number;
  /** When byrobot says the level changed, if it says (ISO 8601); orders late, out-of-order pushes. */
  changedAt: string | null;
}

export interface LedgerOptions {
  /** How long a claim holds before another path may take it over. @default 60000 */
  claimMs?: number;
  now?: () => number;
}

export const refKey = (ref: CallRef) => `${ref.inbound ? 'in-' : ''}${ref.callInstanceId}#${ref.attempt}`;

export class CallLedger {
  readonly #claimMs: number;
  readonly #now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: LedgerOptions = {},
  ) {
    this.#claimMs = options.claimMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  #key(ref: CallRef) {
    return ref.inbound
      ? keys.inboundCall(ref.companyId, ref.callInstanceId)
      : keys.callAttempt(ref.companyId, ref.callInstanceId, ref.attempt);
  }

  /** Takes the right to announce a call attempt, unless it is announced or someone live holds it. */
  async claim(ref: CallRef, via: Via): Promise<ClaimOutcome> {
    const now = this.#now();
    const claimed = await written(
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.#key(ref),
            state: 'claiming',
            via,
            claimedUntil: now + this.#claimMs,
            taskId: ref.taskId,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claiming AND claimedUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claiming': 'claiming', ':now': now },
        }),
      ),
    );
    if (claimed) return 'claimed';
    // dynalite ignores ReturnValuesOnConditionCheckFailure: read what stopped us.
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: this.#key(ref), ConsistentRead: true }),
    );
    return out.Item?.state === 'announced' ? 'announced' : 'in-flight';
  }

  /** Records the claimed attempt as announced and counts it for its task (once). */
  async markAnnounced(ref: CallRef, info: AnnouncedInfo) {
    const extra = Object.entries(info.extra ?? {});
    const announced = await written(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.#key(ref),
          UpdateExpression: `SET #state = :announced, eventId = :eventId, announcedVia = :via, announcedAt = :at, intentLevel = :level${extra.map((_, n) => `, #x${n} = :x${n}`).join('')} REMOVE claimedUntil`,
          ConditionExpression: '#state = :claiming',
          ExpressionAttributeNames: {
            '#state': 'state',
            ...Object.fromEntries(extra.map(([name], n) => [`#x${n}`, name])),
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(extra.map(([, value], n) => [`:x${n}`, value])),
            ':announced': 'announced',
            ':claiming': 'claiming',
            ':eventId': info.eventId,
            ':via': info.via,
            ':at': this.#now(),
            ':level': info.intentLevel ?? null,
          },
        }),
      ),
    );
    if (!announced) return; // a takeover announced it first: counted there
    if (ref.taskId !== null && !ref.inbound) {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.taskCalls(ref.companyId, ref.taskId),
          UpdateExpression: 'ADD announced :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    }
  }

  /** Gives a claim back after a failed publish, so the other path need not wait for it to lapse. */
  async release(ref: CallRef): Promise<void> {
    await written(
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.#key(ref),
          ConditionExpression: '#state = :claiming',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claiming': 'claiming' },
        }),
      ),
    );
  }

  /** Which of these attempts are announced (refKey of each), 100 keys a BatchGetItem. */
  async announced(refs: readonly CallRef[]): Promise<Set<string>> {
    const out = new Set<string>();
    const byKey = new Map(refs.map((r) => [JSON.stringify(this.#key(r)), r]));
    const all = [...byKey.keys()].map((k) => JSON.parse(k) as { pk: string; sk: string });
    for (let i = 0; i < all.length; i += 100) {
      let pending: Array<{ pk: string; sk: string }> | undefined = all.slice(i, i + 100);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept keys unprocessed');
        const res = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of res.Responses?.[this.tableName] ?? []) {
          if (item.state !== 'announced') continue;
          const ref = byKey.get(JSON.stringify({ pk: item.pk, sk: item.sk }));
          if (ref) out.add(refKey(ref));
        }
        pending = res.UnprocessedKeys?.[this.tableName]?.Keys as typeof pending;
        if (pending && pending.length > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
    }
    return out;
  }

  /** Every attempt of an outbound call the ledger knows, lowest attempt first. */
  async attempts(companyId: number, callInstanceId: number): Promise<LedgerAttempt[]> {
    const page = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
        ExpressionAttributeValues: { ':pk': keys.callAttempt(companyId, callInstanceId, 0).pk, ':a': 'A#' },
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? [])
      .map((item) => ({
        attempt: Number(String(item.sk).slice(2)),
        state: item.state as LedgerAttempt['state'],
        taskId: (item.taskId as number | null) ?? null,
        eventId: (item.eventId as string | undefined) ?? null,
        intentLevel: (item.intentLevel as string | null | undefined) ?? null,
        item,
      }))
      .sort((a, b) => a.attempt - b.attempt);
  }

  /** Announced calls per task of a company (both paths), from the counters. */
  async counts(companyId: number): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const items = partitionItems(this.doc, this.tableName, keys.snapshotsOf(companyId), {
      skPrefix: 'CALLS#',
    });
    for await (const item of items)
      out.set(Number(String(item.sk).slice('CALLS#'.length)), Number(item.announced ?? 0));
    return out;
  }

  /** The call's current intent level as re-grades left it, or null before its first re-grade. */
  async intent(companyId: number, callInstanceId: number): Promise<CallIntent | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.callIntent(companyId, callInstanceId),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return null;
    return {
      level: String(out.Item.level),
      seq: Number(out.Item.seq),
      changedAt: (out.Item.changedAt as string | null) ?? null,
    };
  }

  /** Moves the intent state on, only from the state it was read as (optimistic concurrency). */
  async commitIntent(
    companyId: number,
    callInstanceId: number,
    next: CallIntent,
    previousSeq: number | null,
  ): Promise<boolean> {
    return written(
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.callIntent(companyId, callInstanceId), ...next },
          ...(previousSeq === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'seq = :previous',
                ExpressionAttributeValues: { ':previous': previousSeq },
              }),
        }),
      ),
    );
  }
}

export interface Announcement {
  ref: CallRef;
  event: BridgeEvent;
  intentLevel?: string | null;
  extra?: Record<string, unknown>;
}

export interface AnnounceReport {
  /** Published by this call. */
  published: string[];
  /** Found announced already (by either path). */
  already: string[];
  /** Held by another live claim: try again later. */
  inFlight: string[];
}

/**
 * Announces each call attempt at most once across both paths: claim each, publish the claimed ones
 * together, record them announced. A failed publish gives its claims back and throws, so the
 * caller's retry (SQS redelivery, the next poll cycle) does it again with the same event ids.
 */
export async function announceCalls(
  ledger: CallLedger,
  items: readonly Announcement[],
  via: Via,
  publish: (events: readonly BridgeEvent[]) => Promise<PublishResult>,
): Promise<AnnounceReport> {
  const report: AnnounceReport = { published: [], already: [], inFlight: [] };
  const outcomes = await Promise.all(items.map((i) => ledger.claim(i.ref, via)));
  const mine = items.filter((_, n) => outcomes[n] === 'claimed');
  items.forEach((item, n) => {
    if (outcomes[n] === 'announced') report.already.push(refKey(item.ref));
    if (outcomes[n] === 'in-flight') report.inFlight.push(refKey(item.ref));
  });
  if (mine.length === 0) return report;
  let result: PublishResult;
  try {
    result = await publish(mine.map((i) => i.event));
  } catch (error) {
    await Promise.allSettled(mine.map((i) => ledger.release(i.ref)));
    throw error;
  }
  const failed = new Set(result.failed.map((f) => f.eventId));
  await Promise.all(
    mine.map(async (item) => {
      if (failed.has(item.event.detail.eventId)) return ledger.release(item.ref);
      await ledger.markAnnounced(item.ref, {
        eventId: item.event.detail.eventId,
        via,
        intentLevel: item.intentLevel ?? null,
        extra: item.extra,
      });
      report.published.push(refKey(item.ref));
    }),
  );
  if (failed.size > 0) throw new PublishFailedError(result.failed);
  return report;
}
