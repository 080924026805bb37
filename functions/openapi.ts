import { createApiDeps } from '../shared/api/deps.ts';
import { routeHandler } from '../shared/api/handlers.ts';
import { readApiConfig } from '../shared/config/api.ts';

/** API Gateway HTTP API (payload v2) → the OpenAPI document. */
export const handler = routeHandler('openapi', createApiDeps(readApiConfig(), 'openapi'));
