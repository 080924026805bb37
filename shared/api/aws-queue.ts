import { cacheUntilFailure } from '../cache-until-failure.ts';
import type { ChunkQueue } from './queue.ts';

/**
 * The import queue on AWS, loaded with its SQS client on the first large import: most imports are
 * small and answered at once. The dynamic import makes queue.ts a file of its own beside the
 * function's bundle (infra/build.ts), so a cold start does not parse the SQS client (about 25 KB).
 */
export function awsChunkQueueOnFirstUse(queueUrl: string): ChunkQueue {
  const queue = cacheUntilFailure(() =>
    import('./queue.ts').then(({ awsChunkQueue }) => awsChunkQueue(queueUrl)),
  );
  return { send: async (messages) => (await queue()).send(messages) };
}
