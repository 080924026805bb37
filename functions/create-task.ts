import { routeLambda } from '../shared/api/route.ts';
import { createTaskRoute } from '../shared/api/routes.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → create a calling task. */
export const handler = routeLambda(createTaskRoute, config, { byrobot: byrobotClientOnFirstUse(config) });
