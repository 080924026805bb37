import type { ChunkQueue } from './queue.ts';

/**
 * The import queue on AWS, loaded with its SQS client on the first large import: most imports are
 * small and answered at once. The dynamic import makes queue.ts a file of its own beside the
 * function's bundle (infra/build.ts), so a cold start does not parse the SQS client (about 25 KB).
 */
export function awsChunkQueueOnFirstUse(queueUrl: string): ChunkQueue {
  let queue: Promise<ChunkQueue> | undefined;
  return {
    async send(messages) {
      queue ??= import('./queue.ts').then(({ awsChunkQueue }) => awsChunkQueue(queueUrl));
      queue.catch(() => {
        queue = undefined;
      });
      return (await queue).send(messages);
    },
  };
}
