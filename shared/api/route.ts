import type { ApiConfig } from '../config/api.ts';
import { createRoute, type RouteOptions } from '../http/stack.ts';
import type { RouteHandler } from '../http/types.ts';
import { type Client, type ClientsOf, type RouteName, routeRecord } from '../manifest.ts';
import { type Clients, createApiDeps, type DepsOf } from './deps.ts';

/**
 * A route's logic, bound to its record in shared/manifest.ts: `run` is given exactly the clients the
 * record lists. An entry in functions/ imports only its own route's definition, so its bundle holds
 * only that route's code: a definition is a plain object literal (a call would make esbuild keep
 * every definition of the module in every bundle).
 */
export interface RouteDefinition<N extends RouteName = RouteName> {
  name: N;
  run: (deps: DepsOf<N>) => RouteHandler;
}

/** The middy options of a route, from its record. */
export function routeOptions(name: RouteName): RouteOptions {
  const { auth, body, idempotent } = routeRecord(name);
  return {
    name,
    scope: auth === 'none' || auth === 'callback' ? null : auth === 'webhook' ? 'import' : auth,
    body,
    idempotent,
    webhook: auth === 'webhook',
    callback: auth === 'callback',
  };
}

/** The route's full middy chain (shared/http/stack.ts) around its logic. */
export function routeFor<N extends RouteName>(definition: RouteDefinition<N>, deps: DepsOf<N>) {
  return createRoute(deps, routeOptions(definition.name), definition.run(deps));
}

/** Exactly the clients C: one missing is an error, and so is one more (`never`). */
export type ExactClients<C extends Client> = Pick<Clients, C> & Partial<Record<Exclude<Client, C>, never>>;

/**
 * A route's Lambda handler, as functions/ exports it: its dependencies built from configuration and
 * exactly the clients its record lists (one missing or one too many is a compile error).
 */
export function routeLambda<N extends RouteName>(
  definition: RouteDefinition<N>,
  config: ApiConfig,
  clients: ExactClients<ClientsOf<N>>,
) {
  return routeFor(definition, createApiDeps<ClientsOf<N>>(config, definition.name, clients));
}
