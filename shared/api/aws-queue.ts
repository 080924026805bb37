import type { ChunkQueue } from './queue.ts';

/**
 * The import queue on AWS, its SQS client created on the first large import: most imports are small
 * and answered at once, so the function's cold start does not evaluate the SQS client.
 */
export function awsChunkQueueOnFirstUse(queueUrl: string): ChunkQueue {
  let queue: Promise<ChunkQueue> | undefined;
  return {
    async send(messages) {
      queue ??= import('./queue.ts').then(({ awsChunkQueue }) => awsChunkQueue(queueUrl));
      return (await queue).send(messages);
    },
  };
}
