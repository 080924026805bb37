import { deliveryActionRoute, getDeliveriesRoute } from '../delivery/routes.ts';
import type { ApiDeps } from './deps.ts';
import { importCustomersRoute, webhookCustomersRoute } from './imports.ts';
import { openApiRoute, type RouteName } from './openapi.ts';
import { type RouteDefinition, routeFor } from './route.ts';
import { createTaskRoute, getCallRoute, getImportRoute, healthRoute, taskActionRoute } from './routes.ts';

export { importWorkerHandler } from './worker.ts';

/** Every route by name: the local API server and the tests serve them all from here. */
export const ROUTE_DEFINITIONS: Record<RouteName, RouteDefinition> = {
  'task-action': taskActionRoute,
  'create-task': createTaskRoute,
  'import-customers': importCustomersRoute,
  'webhook-customers': webhookCustomersRoute,
  'get-import': getImportRoute,
  'get-call': getCallRoute,
  'get-deliveries': getDeliveriesRoute,
  'delivery-action': deliveryActionRoute,
  openapi: openApiRoute,
  health: healthRoute,
};

export function routeHandler(name: RouteName, deps: ApiDeps) {
  return routeFor(ROUTE_DEFINITIONS[name], deps);
}
