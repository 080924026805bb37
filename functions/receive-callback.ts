import { routeLambda } from '../shared/api/route.ts';
import { sqsCallbackQueue } from '../shared/callbacks/queue.ts';
import { receiveCallbackRoute } from '../shared/callbacks/receive.ts';
import { readApiConfig } from '../shared/config/api.ts';
import { requiredEnv } from '../shared/config/secrets.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → byrobot's push callback, made durable in SQS, answered `success`. */
export const handler = routeLambda(receiveCallbackRoute, config, {
  callbackQueue: sqsCallbackQueue(requiredEnv(process.env, 'CALLBACK_QUEUE_URL', 'API')),
});
