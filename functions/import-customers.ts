import { awsChunkQueueOnFirstUse } from '../shared/api/aws-queue.ts';
import { importCustomersRoute } from '../shared/api/imports.ts';
import { routeLambda } from '../shared/api/route.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { readApiConfig } from '../shared/config/api.ts';
import { requiredEnv } from '../shared/config/secrets.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → import customers (API key); large imports go to SQS. */
export const handler = routeLambda(importCustomersRoute, config, {
  byrobot: byrobotClientOnFirstUse(config),
  queue: awsChunkQueueOnFirstUse(requiredEnv(process.env, 'IMPORT_QUEUE_URL', 'API')),
});
