import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { BridgeEvent } from './builders.ts';
import { MAX_ENTRIES_PER_CALL, MAX_ENTRY_BYTES, putEventsEntrySize } from './entry-size.ts';

export interface PublisherOptions {
  client: EventBridgeClient;
  eventBusName: string;
  /** @default 'byrobot.bridge' */
  source?: string;
  /** Rounds of resending failed entries, the first send included. @default 5 */
  maxAttempts?: number;
  /** @default 100 */
  baseDelayMs?: number;
  /** @default 3000 */
  maxDelayMs?: number;
  random?: () => number;
}

export interface PublishResult {
  /** eventIds that EventBridge accepted. */
  published: Set<string>;
  failed: Array<{ eventId: string; errorCode: string; errorMessage: string }>;
  /** PutEvents calls made. */
  calls: number;
}

/** Some events were not accepted: the caller's retry publishes them again, with the same ids. */
export class PublishFailedError extends Error {
  constructor(failed: PublishResult['failed']) {
    super(
      `${failed.length} event(s) not accepted by EventBridge: ${failed[0]?.errorCode} ${failed[0]?.errorMessage}`,
    );
    this.name = 'PublishFailedError';
  }
}

/** Publishes with `publish`; throws PublishFailedError unless every event was accepted. */
export async function publishOrThrow(
  publish: (events: readonly BridgeEvent[]) => Promise<PublishResult>,
  events: readonly BridgeEvent[],
): Promise<void> {
  const result = await publish(events);
  if (result.failed.length > 0) throw new PublishFailedError(result.failed);
}

/**
 * Publishes events in PutEvents calls of at most 10 entries and at most 256 KB, resending only the
 * entries that failed (per-entry errors and whole-call throttling), with capped, jittered backoff.
 * AWS counts each entry's size as documented in "Calculating PutEvents event entry size"; we keep a
 * whole call under the same bound, since the docs speak of the "total entry size" of a request.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export async function publishEvents(
  events: readonly BridgeEvent[],
  options: PublisherOptions,
): Promise<PublishResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 3000;
  const random = options.random ?? Math.random;
  const result: PublishResult = { published: new Set(), failed: [], calls: 0 };

  let pending: Array<{ eventId: string; entry: PutEventsRequestEntry; size: number }> = [];
  for (const event of events) {
    const entry: PutEventsRequestEntry = {
      Source: options.source ?? 'byrobot.bridge',
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      EventBusName: options.eventBusName,
    };
    const size = putEventsEntrySize(entry);
    if (size > MAX_ENTRY_BYTES) {
      result.failed.push({
        eventId: event.detail.eventId,
        errorCode: 'EntryTooLarge',
        errorMessage: `entry is ${size} bytes; EventBridge takes at most ${MAX_ENTRY_BYTES}`,
      });
      continue;
    }
    pending.push({ eventId: event.detail.eventId, entry, size });
  }

  for (let attempt = 1; pending.length > 0; attempt++) {
    const retry: typeof pending = [];
    const lastErrors = new Map<string, { errorCode: string; errorMessage: string }>();
    for (const batch of batches(pending)) {
      result.calls++;
      try {
        const out = await options.client.send(new PutEventsCommand({ Entries: batch.map((b) => b.entry) }));
        batch.forEach((item, i) => {
          const answer = out.Entries?.[i];
          if (answer?.EventId && !answer.ErrorCode) result.published.add(item.eventId);
          else {
            retry.push(item);
            lastErrors.set(item.eventId, {
              errorCode: answer?.ErrorCode ?? 'MissingResult',
              errorMessage: answer?.ErrorMessage ?? 'no result entry for this event',
            });
          }
        });
      } catch (error) {
        // The whole call failed (throttled, unreachable): every entry in it is resent.
        const errorCode = error instanceof Error ? error.name : 'Error';
        const errorMessage = error instanceof Error ? error.message : String(error);
        for (const item of batch) {
          retry.push(item);
          lastErrors.set(item.eventId, { errorCode, errorMessage });
        }
      }
    }
    if (retry.length === 0) break;
    if (attempt >= maxAttempts) {
      for (const item of retry)
        result.failed.push({ eventId: item.eventId, ...lastErrors.get(item.eventId)! });
      break;
    }
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    await new Promise((r) => setTimeout(r, Math.floor(random() * ceiling)));
    pending = retry;
  }
  return result;
}

function* batches<T extends { size: number }>(items: readonly T[]): Generator<T[]> {
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (batch.length === MAX_ENTRIES_PER_CALL || (batch.length > 0 && bytes + item.size > MAX_ENTRY_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += item.size;
  }
  if (batch.length > 0) yield batch;
}
