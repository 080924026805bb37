import { createRoute, type RouteOptions } from '../http/stack.ts';
import type { RouteHandler } from '../http/types.ts';
import type { ApiDeps } from './deps.ts';
import type { RouteName } from './openapi.ts';

/**
 * One route: its name, middleware options and logic, defined beside the logic it runs. An entry in
 * functions/ imports only its own route's definition, so its bundle holds only that route's code;
 * the local server and tests take them all from shared/api/handlers.ts.
 */
export interface RouteDefinition {
  name: RouteName;
  options: Omit<RouteOptions, 'name'>;
  run: (deps: ApiDeps) => RouteHandler;
}

/** The route's full middy chain (shared/http/stack.ts) around its logic. */
export function routeFor(definition: RouteDefinition, deps: ApiDeps) {
  return createRoute(deps, { name: definition.name, ...definition.options }, definition.run(deps));
}
