// npm run build: every function's bundle, with the esbuild settings CDK deploys (infra/functions.ts),
// to dist/<name>/index.mjs, plus esbuild's metafile (what each bundle is made of) beside it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { ESBUILD, entryPath, FUNCTION_NAMES, type FunctionName, ROOT } from './functions.ts';

export const DIST = join(ROOT, 'dist');

export interface BuiltFunction {
  name: FunctionName;
  /** Absolute path of the bundle. */
  file: string;
  bytes: number;
  metafile: Metafile;
}

/**
 * esbuild's options for one entry, as NodejsFunction passes them: same target, format, banner,
 * minify, source maps. `sdk: 'runtime'` leaves `@aws-sdk/*` to the Lambda runtime's copy instead.
 */
export function esbuildOptions(
  entry: string,
  outfile: string,
  sdk: 'bundled' | 'runtime' = 'bundled',
): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: ESBUILD.platform,
    target: ESBUILD.target,
    format: ESBUILD.format,
    minify: ESBUILD.minify,
    sourcemap: ESBUILD.sourcemap,
    sourcesContent: ESBUILD.sourcesContent,
    banner: { js: ESBUILD.banner },
    mainFields: [...ESBUILD.mainFields],
    external: sdk === 'runtime' ? ['@aws-sdk/*'] : [...ESBUILD.external],
    metafile: true,
    logLevel: 'warning',
  };
}

/** Bundles one function exactly as NodejsFunction does (same entry, target, format, banner, minify). */
export async function buildFunction(name: FunctionName, outDir = DIST): Promise<BuiltFunction> {
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  const result = await build(esbuildOptions(entryPath(name), file));
  const metafile = result.metafile!;
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(metafile));
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  return { name, file, bytes: output?.bytes ?? 0, metafile };
}

export async function buildAll(outDir = DIST): Promise<BuiltFunction[]> {
  const built: BuiltFunction[] = [];
  for (const name of FUNCTION_NAMES) built.push(await buildFunction(name, outDir));
  return built;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await buildAll()) {
    console.log(
      `${f.name.padEnd(18)} ${(f.bytes / 1024).toFixed(0).padStart(6)} KB  ${relative(ROOT, f.file)}`,
    );
  }
}
