import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { createRoute, type RouteOptions } from '../http/stack.ts';
import { json, type RouteHandler } from '../http/types.ts';
import type { ApiDeps } from './deps.ts';
import { importCustomers } from './imports.ts';
import { openApiDocument, type RouteName } from './openapi.ts';
import { createTask, getCall, getImport, health, taskAction } from './routes.ts';
import { processImportBatch, type WorkerOptions } from './worker.ts';

/** Each route's middleware options and logic: the one definition functions/ and local/ share. */
const ROUTE_DEFINITIONS: Record<
  RouteName,
  { options: Omit<RouteOptions, 'name'>; run: (deps: ApiDeps) => RouteHandler }
> = {
  'task-action': {
    options: { scope: 'control', idempotent: true },
    run: (deps) => (e) => taskAction(e, deps),
  },
  'create-task': {
    options: { scope: 'create', body: true, idempotent: true },
    run: (deps) => (e) => createTask(e, deps),
  },
  'import-customers': {
    options: { scope: 'import', body: true, idempotent: true },
    run: (deps) => (e) => importCustomers(e, deps),
  },
  'webhook-customers': {
    options: { scope: 'import', body: true, idempotent: true, webhook: true },
    run: (deps) => (e) => importCustomers(e, deps),
  },
  'get-import': { options: { scope: 'read' }, run: (deps) => (e) => getImport(e, deps) },
  'get-call': { options: { scope: 'read' }, run: (deps) => (e) => getCall(e, deps) },
  openapi: { options: { scope: null }, run: () => async () => json(200, openApiDocument()) },
  health: { options: { scope: null }, run: (deps) => (e) => health(e, deps) },
};

export function routeHandler(name: RouteName, deps: ApiDeps) {
  const definition = ROUTE_DEFINITIONS[name];
  return createRoute(deps, { name, ...definition.options }, definition.run(deps));
}

export function importWorkerHandler(deps: ApiDeps, options: WorkerOptions = {}) {
  return middy<SQSEvent>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(deps.metrics))
    .handler((event: SQSEvent) => processImportBatch(event, deps, options));
}
