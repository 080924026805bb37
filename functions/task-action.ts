import { createApiDeps } from '../shared/api/deps.ts';
import { routeHandler } from '../shared/api/handlers.ts';
import { readApiConfig } from '../shared/config/api.ts';

/** API Gateway HTTP API (payload v2) → start, pause or stop a task. */
export const handler = routeHandler('task-action', createApiDeps(readApiConfig(), 'task-action'));
