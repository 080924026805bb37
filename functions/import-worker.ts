import { createApiDeps } from '../shared/api/deps.ts';
import { importWorkerHandler } from '../shared/api/worker.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { readApiConfig } from '../shared/config/api.ts';
import { busPublisherOnFirstUse } from '../shared/events/lazy-publisher.ts';

const config = readApiConfig();
const publish = busPublisherOnFirstUse(config);

/** SQS import queue → one chunk of a large import per message, with partial batch failures. */
export const handler = importWorkerHandler(
  createApiDeps(config, 'import-worker', { byrobot: byrobotClientOnFirstUse(config), publish }),
  {
    maxReceiveCount: Number(process.env.IMPORT_MAX_RECEIVE_COUNT ?? 5),
  },
);
