import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../shared/api/openapi.ts';
import { API_ROUTES } from '../../../shared/manifest.ts';

const doc = openApiDocument() as {
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
};

describe('OpenAPI document', () => {
  it('docs/openapi.json is what the code generates (run `npm run docs`)', () => {
    expect(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')).toBe(
      `${JSON.stringify(openApiDocument(), null, 2)}\n`,
    );
  });

  it.each(API_ROUTES.map((r) => [r.method, r.path, r.auth] as const))(
    'describes %s %s',
    (method, path, auth) => {
      const operation = doc.paths[path]?.[method.toLowerCase()];
      expect(operation).toBeDefined();
      const codes = Object.keys(operation!.responses);
      if (auth === 'none') return;
      // Every authenticated route documents every error it can answer.
      for (const code of ['400', '401', '403', '404', '413', '415', '422', '500', '502', '503'])
        expect(codes, `${method} ${path}`).toContain(code);
      expect(operation!.security?.length).toBeGreaterThan(0);
    },
  );

  it('has no operation for a route that does not exist', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });
});
