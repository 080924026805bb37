import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createApiDeps } from '../shared/api/deps.ts';
import { sweepStuckImports } from '../shared/api/imports.ts';
import { awsChunkQueue } from '../shared/api/queue.ts';
import { readApiConfig } from '../shared/config/api.ts';
import { requiredEnv } from '../shared/config/secrets.ts';

const config = readApiConfig();
// Loaded with the function, not on first use as the import routes do: a scheduled sweep waits for
// no caller, so its cold start may parse the SQS client.
const deps = createApiDeps(config, 'import-sweeper', {
  queue: awsChunkQueue(requiredEnv(process.env, 'IMPORT_QUEUE_URL', 'API')),
});

/** EventBridge Scheduler → one sweep of the imports stuck in `queueing` (shared/api/imports.ts). */
export const handler = middy()
  .use(injectLambdaContext(deps.logger, { resetKeys: true }))
  .use(logMetrics(deps.metrics))
  .handler(() => sweepStuckImports(deps, Date.now()));
