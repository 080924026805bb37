import { routeLambda } from '../shared/api/route.ts';
import { taskActionRoute } from '../shared/api/routes.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → start, pause or stop a task. */
export const handler = routeLambda(taskActionRoute, config, { byrobot: byrobotClientOnFirstUse(config) });
