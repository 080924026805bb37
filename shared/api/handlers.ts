import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { createRoute, type RouteOptions } from '../http/stack.ts';
import { json, type RouteHandler } from '../http/types.ts';
import type { ApiDeps } from './deps.ts';
import type { RouteName } from './openapi.ts';
import type { WorkerOptions } from './worker.ts';

/*
 * Route logic is loaded with import() on a route's first request. Each function bundles the same
 * modules, but evaluates only its own route's: the import route's phone library and the OpenAPI
 * generator stay out of every other function's cold start (figures in docs/performance.md).
 */
const routes = () => import('./routes.ts');

/** Each route's middleware options and logic: the one definition functions/ and local/ share. */
const ROUTE_DEFINITIONS: Record<
  RouteName,
  { options: Omit<RouteOptions, 'name'>; run: (deps: ApiDeps) => RouteHandler }
> = {
  'task-action': {
    options: { scope: 'control', idempotent: true },
    run: (deps) => async (e) => (await routes()).taskAction(e, deps),
  },
  'create-task': {
    options: { scope: 'create', body: true, idempotent: true },
    run: (deps) => async (e) => (await routes()).createTask(e, deps),
  },
  'import-customers': {
    options: { scope: 'import', body: true, idempotent: true },
    run: (deps) => async (e) => (await import('./imports.ts')).importCustomers(e, deps),
  },
  'webhook-customers': {
    options: { scope: 'import', body: true, idempotent: true, webhook: true },
    run: (deps) => async (e) => (await import('./imports.ts')).importCustomers(e, deps),
  },
  'get-import': {
    options: { scope: 'read' },
    run: (deps) => async (e) => (await routes()).getImport(e, deps),
  },
  'get-call': { options: { scope: 'read' }, run: (deps) => async (e) => (await routes()).getCall(e, deps) },
  openapi: {
    options: { scope: null },
    run: () => async () => json(200, (await import('./openapi.ts')).openApiDocument()),
  },
  health: { options: { scope: null }, run: (deps) => async (e) => (await routes()).health(e, deps) },
};

export function routeHandler(name: RouteName, deps: ApiDeps) {
  const definition = ROUTE_DEFINITIONS[name];
  return createRoute(deps, { name, ...definition.options }, definition.run(deps));
}

export function importWorkerHandler(deps: ApiDeps, options: WorkerOptions = {}) {
  return middy<SQSEvent>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(deps.metrics))
    .handler(async (event: SQSEvent) =>
      (await import('./worker.ts')).processImportBatch(event, deps, options),
    );
}
