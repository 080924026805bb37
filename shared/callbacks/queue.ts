import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ChunkQueue } from '../api/queue.ts';

/** What the receiver queues per callback: byrobot's text as it came, for the processor. */
export interface CallbackMessage {
  /** When the receiver got it (ISO 8601, UTC). */
  receivedAt: string;
  contentType: string | null;
  /** The raw body text, exactly as byrobot sent it. */
  body: string;
  sourceIp: string | null;
}

/**
 * The callback queue: the same `send` as the import queue (the local queue serves both), so the
 * local stack and tests hand the receiver a LocalQueue, and AWS an SQS queue.
 */
export type CallbackQueue = ChunkQueue;

/**
 * SQS's own message limit for the queue infra creates (256 KiB): a bigger callback (a very long
 * transcript) is kept for inspection instead, and the reconciler reads the call (docs/api.md).
 */
export const MAX_QUEUED_BYTES = 256 * 1024 - 1024;

/**
 * The callback queue on AWS: one SendMessage, no retry loop of its own beyond the SDK's one retry,
 * and short timeouts: byrobot waits on the answer, and a failure answers 503, which byrobot retries
 * (10 s, 30 s, 1 min …), so a slow SQS is better answered "not stored" than waited on.
 */
export function sqsCallbackQueue(queueUrl: string, sqs: SQSClient = defaultClient()): CallbackQueue {
  return {
    async send(messages) {
      for (const m of messages) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: m.body }));
      }
    },
  };
}

const defaultClient = () =>
  new SQSClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 } });
