import { createApiDeps } from '../shared/api/deps.ts';
import { importWorkerHandler } from '../shared/api/handlers.ts';
import { readApiConfig } from '../shared/config/api.ts';

/** SQS import queue → one chunk of a large import per message, with partial batch failures. */
export const handler = importWorkerHandler(createApiDeps(readApiConfig(), 'import-worker'), {
  maxReceiveCount: Number(process.env.IMPORT_MAX_RECEIVE_COUNT ?? 5),
});
