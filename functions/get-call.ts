import { byrobotClientFor } from '../shared/api/byrobot.ts';
import { createApiDeps } from '../shared/api/deps.ts';
import { routeFor } from '../shared/api/route.ts';
import { getCallRoute } from '../shared/api/routes.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → one call's normalised detail. */
export const handler = routeFor(
  getCallRoute,
  createApiDeps(config, 'get-call', { byrobot: byrobotClientFor(config) }),
);
