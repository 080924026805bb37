import { routeLambda } from '../shared/api/route.ts';
import { getCallRoute } from '../shared/api/routes.ts';
import { byrobotClientOnFirstUse } from '../shared/byrobot/on-first-use.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → one call's normalised detail. */
export const handler = routeLambda(getCallRoute, config, { byrobot: byrobotClientOnFirstUse(config) });
