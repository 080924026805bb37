import type { AllDeps } from '../../shared/api/deps.ts';
import { importCustomersRoute, webhookCustomersRoute } from '../../shared/api/imports.ts';
import { openApiRoute } from '../../shared/api/openapi.ts';
import { type RouteDefinition, routeFor } from '../../shared/api/route.ts';
import {
  createTaskRoute,
  getCallRoute,
  getImportRoute,
  healthRoute,
  taskActionRoute,
} from '../../shared/api/routes.ts';
import { getTaskRoute, listTaskCallsRoute, listTasksRoute } from '../../shared/api/task-reads.ts';
import { receiveCallbackRoute } from '../../shared/callbacks/receive.ts';
import { deliveryActionRoute, getDeliveriesRoute } from '../../shared/delivery/routes.ts';
import type { RouteName } from '../../shared/manifest.ts';

export { importWorkerHandler } from '../../shared/api/worker.ts';
export { callbackProcessorHandler } from '../../shared/callbacks/process.ts';

/**
 * Every route's logic by name: the local API server and the tests serve them all from here, with
 * every client. Typed by the manifest, so a record without its logic here does not compile.
 */
export const ROUTE_DEFINITIONS: { [N in RouteName]: RouteDefinition<N> } = {
  'task-action': taskActionRoute,
  'create-task': createTaskRoute,
  'import-customers': importCustomersRoute,
  'webhook-customers': webhookCustomersRoute,
  'get-import': getImportRoute,
  'get-call': getCallRoute,
  'list-tasks': listTasksRoute,
  'get-task': getTaskRoute,
  'list-task-calls': listTaskCallsRoute,
  'get-deliveries': getDeliveriesRoute,
  'delivery-action': deliveryActionRoute,
  'receive-callback': receiveCallbackRoute,
  openapi: openApiRoute,
  health: healthRoute,
};

export function routeHandler(name: RouteName, deps: AllDeps) {
  return routeFor(ROUTE_DEFINITIONS[name] as RouteDefinition, deps);
}
