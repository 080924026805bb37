import { join } from 'node:path';
import { RENDERER_DIR, RENDERER_FILES } from '../shared/api/docs-page.ts';
import type { FunctionName } from '../shared/manifest.ts';

/** The repository root: entry paths below are relative to it. */
export const ROOT = join(import.meta.dirname, '..');

/**
 * The esbuild settings every function is bundled with, by infra/build.ts: CDK runs it for each
 * function's asset, and `npm run build`, the bundle tests and the bench call it too, so the artefact
 * they load is the one that deploys.
 */
export const ESBUILD = {
  target: 'node24',
  platform: 'node',
  format: 'esm',
  minify: true,
  sourcemap: true,
  /** Maps without the sources inside: a smaller asset; the sources are this repository. */
  sourcesContent: false,
  /**
   * ESM output with CommonJS dependencies inside (parts of the AWS SDK, Powertools): esbuild's
   * `require` shim throws in ESM, so give the bundle a real one.
   */
  banner:
    "import { createRequire as __bridgeCreateRequire } from 'node:module'; const require = __bridgeCreateRequire(import.meta.url);",
  mainFields: ['module', 'main'],
  /**
   * Bundle our pinned AWS SDK v3 rather than use the copy nodejs24.x ships: the same code runs in
   * tests, locally and on Lambda, and the cold-import figures in docs/performance.md
   * (`npm run bench -- bundles`) show the bundled SDK costs less to import than the runtime's.
   */
  external: [] as string[],
} as const;

export { FUNCTION_NAMES, type FunctionName } from '../shared/manifest.ts';

/**
 * Files a function reads at run time, copied into its asset beside index.mjs (path in the asset →
 * path in the repository). The openapi function serves GET /docs: Swagger UI's files, read on the
 * first request for each (shared/api/docs-page.ts), never bundled into index.mjs.
 */
export const FUNCTION_FILES: Partial<Record<FunctionName, Record<string, string>>> = {
  openapi: Object.fromEntries(
    RENDERER_FILES.map((f) => [`${RENDERER_DIR}/${f}`, `node_modules/swagger-ui-dist/${f}`]),
  ),
};

/**
 * A function's entry file: functions/<name>.ts, which exports `handler`. Its timeout, memory,
 * grants and routes are its record in shared/manifest.ts.
 */
export const entryPath = (name: FunctionName) => join(ROOT, 'functions', `${name}.ts`);
