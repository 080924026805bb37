// Every function's bundle, with the esbuild settings in infra/functions.ts. CDK calls this to build
// each function's asset (infra/constructs/bridge-function.ts), so `npm run build`, the bundle tests
// and the bench load exactly what deploys.
//   tsx infra/build.ts                  every function to dist/<name>/, with esbuild's metafile
//   tsx infra/build.ts <name> <dir>     one function's asset into <dir> (what CDK runs)
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { ESBUILD, entryPath, FUNCTION_NAMES, type FunctionName, ROOT } from './functions.ts';

export const DIST = join(ROOT, 'dist');

export interface Bundle {
  /** Absolute path of the file Lambda loads (`index.mjs`). */
  file: string;
  bytes: number;
  metafile: Metafile;
  /** Files of their own for the modules loaded on first use: not parsed on a cold start. */
  lazy: { file: string; bytes: number; source: string }[];
}

export interface BuiltFunction extends Bundle {
  name: FunctionName;
}

/**
 * esbuild's options for one entry: target, format, banner, minify, source maps from infra/functions.ts.
 * `sdk: 'runtime'` leaves `@aws-sdk/*` to the Lambda runtime's copy instead (compared in the bench).
 */
export function esbuildOptions(
  entry: string,
  outfile: string,
  sdk: 'bundled' | 'runtime' = 'bundled',
  plugins: Plugin[] = [],
): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    // Paths in the metafile are relative to this.
    absWorkingDir: ROOT,
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
    plugins,
  };
}

/**
 * A dynamic `import()` of one of the project's modules (not a package's) becomes a bundle of its
 * own beside the function's, loaded when that path first runs. In one file, esbuild would wrap the
 * module and everything it imports so it could be evaluated late, but every cold start would still
 * parse it, and the wrapping keeps whole SDK clients that tree-shaking otherwise trims.
 */
function lazyModules(found: Map<string, string>): Plugin {
  return {
    name: 'lazy-modules',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind !== 'dynamic-import' || args.importer.includes('node_modules')) return undefined;
        const source = resolve(args.resolveDir, args.path);
        const file = `${relative(ROOT, source)
          .replace(/\.[cm]?[jt]s$/, '')
          .replace(/[\\/]/g, '.')}.mjs`;
        found.set(source, file);
        return { path: `./${file}`, external: true };
      });
    },
  };
}

/** Bundles `entry` into `dir` as index.mjs (and its map), with its lazily loaded modules beside it. */
export async function bundle(
  entry: string,
  dir: string,
  sdk: 'bundled' | 'runtime' = 'bundled',
): Promise<Bundle> {
  const found = new Map<string, string>();
  const plugin = lazyModules(found);
  const file = join(dir, 'index.mjs');
  const { metafile } = await build(esbuildOptions(entry, file, sdk, [plugin]));
  // Imported statically somewhere too, it would run twice, with two copies of its state.
  const inMain = new Set(Object.keys(metafile!.inputs).map((input) => resolve(ROOT, input)));
  for (const source of found.keys()) {
    if (inMain.has(source)) {
      throw new Error(`${relative(ROOT, source)} is imported both statically and with import() in ${entry}`);
    }
  }
  const lazy: Bundle['lazy'] = [];
  // A lazy module may load others lazily in turn: iterating a Map visits the entries added meanwhile.
  for (const [source, name] of found) {
    const out = await build(esbuildOptions(source, join(dir, name), sdk, [plugin]));
    lazy.push({ file: join(dir, name), bytes: outputBytes(out.metafile!), source: relative(ROOT, source) });
  }
  return { file, bytes: outputBytes(metafile!), metafile: metafile!, lazy };
}

const outputBytes = (meta: Metafile) => Object.values(meta.outputs).find((o) => o.entryPoint)?.bytes ?? 0;

/** One function's asset, exactly as it deploys, into `dir` (emptied first). */
export async function buildFunction(name: FunctionName, dir: string): Promise<BuiltFunction> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { name, ...(await bundle(entryPath(name), dir)) };
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
