import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

/** Where an async import's chunks go: SQS on AWS, the local queue in the local stack. */
export interface ChunkQueue {
  send(messages: ReadonlyArray<{ id: string; body: string }>): Promise<void>;
}

/** SendMessageBatch in tens, resending only the entries SQS reports as failed. */
export function sqsChunkQueue(sqs: SQSClient, queueUrl: string): ChunkQueue {
  return {
    async send(messages) {
      for (let i = 0; i < messages.length; i += 10) {
        let batch = messages.slice(i, i + 10);
        for (let attempt = 1; batch.length > 0; attempt++) {
          const out = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((m) => ({ Id: m.id, MessageBody: m.body })),
            }),
          );
          const failed = new Set((out.Failed ?? []).map((f) => f.Id));
          batch = batch.filter((m) => failed.has(m.id));
          if (batch.length > 0 && attempt >= 5)
            throw new Error(`SQS refused ${batch.length} chunk message(s)`);
          if (batch.length > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
      }
    },
  };
}

/** The import queue on AWS, with a client of its own (shared/api/aws-queue.ts creates it on first use). */
export const awsChunkQueue = (queueUrl: string): ChunkQueue => sqsChunkQueue(new SQSClient({}), queueUrl);
