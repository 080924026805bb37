import { routeLambda } from '../shared/api/route.ts';
import { listTasksRoute } from '../shared/api/task-reads.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → GET /tasks: a page of a company's tasks. */
export const handler = routeLambda(listTasksRoute, config, { byrobot: byrobotClientOnFirstUse(config) });
