import { createApiDeps } from '../shared/api/deps.ts';
import { routeHandler } from '../shared/api/handlers.ts';
import { readApiConfig } from '../shared/config/api.ts';

/** API Gateway HTTP API (payload v2) → one call's normalised detail. */
export const handler = routeHandler('get-call', createApiDeps(readApiConfig(), 'get-call'));
