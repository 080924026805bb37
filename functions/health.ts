import { routeLambda } from '../shared/api/route.ts';
import { healthRoute } from '../shared/api/routes.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → liveness. */
export const handler = routeLambda(healthRoute, config, {});
