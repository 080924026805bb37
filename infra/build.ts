// Every function's bundle, with the esbuild settings in infra/functions.ts. CDK calls this to build
// each function's asset (infra/constructs/bridge-function.ts), so `npm run build`, the bundle tests
// and the bench load exactly what deploys.
//   tsx infra/build.ts                  every function to dist/<name>/, with esbuild's metafile
//   tsx infra/build.ts <name> <dir>     one function's asset into <dir> (what CDK runs)
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { ESBUILD, entryPath, FUNCTION_FILES, FUNCTION_NAMES, type FunctionName, ROOT } from './functions.ts';

export const DIST = join(ROOT, 'dist');

export interface Bundle {
  /** Absolute path of the file Lambda loads (`index.mjs`). */
  file: string;
  /** What a cold start loads: `index.mjs` and the chunks it imports statically. */
  bytes: number;
  metafile: Metafile;
  /** Our own modules loaded with `import()`: files a cold start does not parse. */
  lazy: { file: string; bytes: number; source: string }[];
}

export interface BuiltFunction extends Bundle {
  name: FunctionName;
}

/**
 * esbuild's options for one entry: target, format, banner, minify, source maps from infra/functions.ts.
 * `sdk: 'runtime'` leaves `@aws-sdk/*` to the Lambda runtime's copy instead (compared in the bench).
 * esbuild's own code splitting puts every module loaded with `import()` (ours, and the SDK's
 * credential providers that Lambda never uses) in a file of its own, parsed only when that path
 * first runs; code both sides need goes in shared chunks, so nothing runs twice. The file names
 * carry a hash of the content, so the build stays deterministic.
 */
export function esbuildOptions(
  entry: string,
  outdir: string,
  sdk: 'bundled' | 'runtime' = 'bundled',
): BuildOptions {
  return {
    entryPoints: [{ in: entry, out: 'index' }],
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    // Paths in the metafile are relative to this.
    absWorkingDir: ROOT,
    bundle: true,
    ...ESBUILD,
    banner: { js: ESBUILD.banner },
    mainFields: [...ESBUILD.mainFields],
    external: sdk === 'runtime' ? ['@aws-sdk/*'] : [...ESBUILD.external],
    metafile: true,
    logLevel: 'warning',
  };
}

/**
 * The outputs (metafile paths) a cold start of `file` loads: it and, transitively, the chunks it
 * imports statically. The others load when an `import()` first runs.
 */
export function coldOutputs(metafile: Metafile, file: string): Set<string> {
  const cold = new Set<string>();
  const visit = (path: string) => {
    if (cold.has(path) || !metafile.outputs[path]) return;
    cold.add(path);
    for (const i of metafile.outputs[path].imports) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(relative(ROOT, file));
  return cold;
}

/** Bundles `entry` into `dir` as index.mjs, with its chunks and source maps beside it. */
export async function bundle(
  entry: string,
  dir: string,
  sdk: 'bundled' | 'runtime' = 'bundled',
): Promise<Bundle> {
  const { metafile } = await build(esbuildOptions(entry, dir, sdk));
  const outputs = metafile!.outputs;
  const file = join(dir, 'index.mjs');
  const cold = coldOutputs(metafile!, file);
  const lazy = Object.entries(outputs)
    .filter(([path, o]) => !cold.has(path) && o.entryPoint && !o.entryPoint.includes('node_modules/'))
    .map(([path, o]) => ({ file: resolve(ROOT, path), bytes: o.bytes, source: o.entryPoint! }))
    .sort((a, b) => a.source.localeCompare(b.source));
  const bytes = [...cold].reduce((sum, path) => sum + outputs[path]!.bytes, 0);
  return { file, bytes, metafile: metafile!, lazy };
}

/** One function's asset, exactly as it deploys, into `dir` (emptied first). */
export async function buildFunction(name: FunctionName, dir: string): Promise<BuiltFunction> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const built = { name, ...(await bundle(entryPath(name), dir)) };
  for (const [to, from] of Object.entries(FUNCTION_FILES[name] ?? {})) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    copyFileSync(join(ROOT, from), join(dir, to));
  }
  return built;
}

/** Every function into `outDir/<name>/`, each with esbuild's metafile (what it is made of) beside it. */
export async function buildAll(outDir = DIST): Promise<BuiltFunction[]> {
  const built: BuiltFunction[] = [];
  for (const name of FUNCTION_NAMES) {
    const f = await buildFunction(name, join(outDir, name));
    writeFileSync(join(outDir, name, 'meta.json'), JSON.stringify(f.metafile));
    built.push(f);
  }
  return built;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [name, dir] = process.argv.slice(2);
  if (name) {
    if (!FUNCTION_NAMES.includes(name as FunctionName) || !dir) {
      throw new Error(
        `usage: tsx infra/build.ts [<function> <dir>]; functions: ${FUNCTION_NAMES.join(', ')}`,
      );
    }
    // Built at a fixed place in the repository, then copied: the source map's paths are relative to
    // the bundle, so building straight into CDK's temporary directory would make them (and the
    // asset's hash) depend on where cdk.out is, and redeploy unchanged code.
    mkdirSync(join(DIST, '.assets'), { recursive: true });
    const staged = mkdtempSync(join(DIST, '.assets', `${name}-`));
    try {
      await buildFunction(name as FunctionName, staged);
      cpSync(staged, resolve(dir), { recursive: true });
    } finally {
      rmSync(staged, { recursive: true, force: true });
    }
  } else {
    for (const f of await buildAll()) {
      const lazy = f.lazy
        .map((l) => ` + ${(l.bytes / 1024).toFixed(0)} KB on first use (${l.source})`)
        .join('');
      console.log(
        `${f.name.padEnd(18)} ${(f.bytes / 1024).toFixed(0).padStart(6)} KB  ${relative(ROOT, f.file)}${lazy}`,
      );
    }
  }
}
