import { routeLambda } from '../shared/api/route.ts';
import { getTaskRoute } from '../shared/api/task-reads.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → GET /tasks/{taskId}: one task's status, counts and statistics. */
export const handler = routeLambda(getTaskRoute, config, { byrobot: byrobotClientOnFirstUse(config) });
