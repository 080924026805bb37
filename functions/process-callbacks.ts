import { createApiDeps } from '../shared/api/deps.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { callbackProcessorHandler } from '../shared/callbacks/process.ts';
import { readApiConfig } from '../shared/config/api.ts';
import { busPublisherOnFirstUse } from '../shared/events/lazy-publisher.ts';

const config = readApiConfig();
const publish = busPublisherOnFirstUse(config);

/** SQS callback queue → the call ledger and EventBridge, one callback per message, partial batch failures. */
export const handler = callbackProcessorHandler(
  createApiDeps(config, 'process-callbacks', { byrobot: byrobotClientOnFirstUse(config), publish }),
);
