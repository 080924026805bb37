import { routeLambda } from '../shared/api/route.ts';
import { listTaskCallsRoute } from '../shared/api/task-reads.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → GET /tasks/{taskId}/calls: a task's finished calls, filtered. */
export const handler = routeLambda(listTaskCallsRoute, config, { byrobot: byrobotClientOnFirstUse(config) });
