import { awsChunkQueue, type ChunkQueue } from './queue.ts';

/**
 * The import queue on AWS, its SQS client created on the first large import: most imports are small
 * and answered at once, and never need it.
 */
export function awsChunkQueueOnFirstUse(queueUrl: string): ChunkQueue {
  let queue: ChunkQueue | undefined;
  return {
    send: (messages) => {
      queue ??= awsChunkQueue(queueUrl);
      return queue.send(messages);
    },
  };
}
