import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entryPath } from '../../infra/functions.ts';
import { ROUTE_DEFINITIONS } from '../../local/api-server/handlers.ts';
import { createApiDeps } from '../../shared/api/deps.ts';
import { type RouteDefinition, routeLambda, routeOptions } from '../../shared/api/route.ts';
import { createTaskRoute, getCall, getImportRoute } from '../../shared/api/routes.ts';
import { importWorkerHandler } from '../../shared/api/worker.ts';
import type { ApiConfig } from '../../shared/config/api.ts';
import { API_ROUTES, FUNCTION_NAMES, MANIFEST, ROUTE_NAMES } from '../../shared/manifest.ts';

describe('The manifest (shared/manifest.ts)', () => {
  it('every function has its entry file, every route its logic under its own name', () => {
    for (const name of FUNCTION_NAMES) expect(existsSync(entryPath(name)), name).toBe(true);
    expect(Object.keys(ROUTE_DEFINITIONS).sort()).toEqual([...ROUTE_NAMES].sort());
    for (const [name, definition] of Object.entries(ROUTE_DEFINITIONS)) expect(definition.name).toBe(name);
  });

  it('no method and path is served by two functions', () => {
    const keys = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('a route’s middy options come from its auth: a scope, a webhook signature, or none', () => {
    expect(routeOptions('create-task')).toMatchObject({
      scope: 'create',
      body: true,
      idempotent: true,
      webhook: false,
    });
    expect(routeOptions('webhook-customers')).toMatchObject({
      scope: 'import',
      webhook: true,
      idempotent: true,
    });
    expect(routeOptions('health')).toMatchObject({ scope: null, webhook: false });
    expect(routeOptions('get-import')).toMatchObject({ scope: 'read', webhook: false });
    expect(routeOptions('get-import').idempotent).toBeFalsy();
  });

  it('a function that reads byrobot credentials is given the byrobot client, and only those', () => {
    // The callback receiver reads the app key and secret for byrobot's optional callback signature
    // (shared/callbacks/signature.ts) and never calls byrobot: it must answer within a second.
    const signatureOnly = new Set(['receive-callback']);
    for (const name of FUNCTION_NAMES) {
      if (signatureOnly.has(name)) {
        expect(MANIFEST[name].secrets as readonly string[]).toContain('byrobot');
        expect(MANIFEST[name].clients as readonly string[]).not.toContain('byrobot');
        continue;
      }
      const { clients, secrets } = MANIFEST[name];
      expect((secrets as readonly string[]).includes('byrobot'), name).toBe(
        (clients as readonly string[]).includes('byrobot'),
      );
    }
  });
});

describe('The manifest in the types', () => {
  /*
   * Compile-time checks, made by `tsc --noEmit` (npm run typecheck, part of npm test): each line
   * under a `@ts-expect-error` must fail to compile, or tsc reports the directive as unused. At run
   * time they only build handlers (none is invoked): the types are the guard.
   */
  it('a client the record lists must be given, and one it does not list must not', () => {
    const config = {
      tableName: 't',
      apiKeys: async () => [],
      webhookSources: async () => [],
    } as unknown as ApiConfig;
    const byrobot = async () => {
      throw new Error('not called');
    };
    // @ts-expect-error create-task's record lists the byrobot client: leaving it out does not compile.
    routeLambda(createTaskRoute, config, {});
    // @ts-expect-error get-import's record lists no client: passing one (into its bundle) does not compile.
    routeLambda(getImportRoute, config, { byrobot });
    const wrong: RouteDefinition<'get-import'> = {
      name: 'get-import',
      // @ts-expect-error logic that calls byrobot cannot be the logic of a route whose record lacks it.
      run: (deps) => (e) => getCall(e, deps),
    };
    expect(wrong.name).toBe('get-import');
    // @ts-expect-error the import worker publishes Import Completed: deps without a publisher do not compile.
    importWorkerHandler(createApiDeps(config, 'import-worker', { byrobot }));
    // What the records say compiles.
    expect(typeof routeLambda(createTaskRoute, config, { byrobot })).toBe('function');
    expect(typeof routeLambda(getImportRoute, config, {})).toBe('function');
  });
});
