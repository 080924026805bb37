import { createApiDeps } from '../shared/api/deps.ts';
import { routeHandler } from '../shared/api/handlers.ts';
import { readApiConfig } from '../shared/config/api.ts';

/** API Gateway HTTP API (payload v2) → import customers (API key). */
export const handler = routeHandler('import-customers', createApiDeps(readApiConfig(), 'import-customers'));
