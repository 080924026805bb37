import { createApiDeps } from '../shared/api/deps.ts';
import { routeHandler } from '../shared/api/handlers.ts';
import { readApiConfig } from '../shared/config/api.ts';

/** API Gateway HTTP API (payload v2) → create a calling task. */
export const handler = routeHandler('create-task', createApiDeps(readApiConfig(), 'create-task'));
