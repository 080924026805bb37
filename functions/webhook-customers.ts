import { createApiDeps } from '../shared/api/deps.ts';
import { routeHandler } from '../shared/api/handlers.ts';
import { readApiConfig } from '../shared/config/api.ts';

/** API Gateway HTTP API (payload v2) → import customers from a CRM webhook (Standard Webhooks). */
export const handler = routeHandler('webhook-customers', createApiDeps(readApiConfig(), 'webhook-customers'));
