// Bundle sizes and cold import times: every function bundled as CDK deploys it, with the AWS SDK
// inside (the choice in infra/functions.ts) and with it left to the runtime's copy, each next to a
// fixed reference: a handler that only creates one DynamoDB client, bundled as CDK's NodejsFunction
// bundles by default. Also what dominates each bundle (esbuild metafile).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { type Bundle, bundle, coldOutputs } from '../infra/build.ts';
import { entryPath, FUNCTION_NAMES, ROOT } from '../infra/functions.ts';

const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 15);

/**
 * Enough configuration for every entry file to load (nothing is called: only the import is timed);
 * test/bundles checks that every built function loads with it.
 */
export const BENCH_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'bench',
  EVENT_BUS_NAME: 'bench',
  BYROBOT_APP_KEY: 'bench',
  BYROBOT_APP_SECRET: 'bench',
  API_KEYS_JSON: '{"keys":[]}',
  IMPORT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench',
  CALLBACK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-callbacks',
  SLACK_WEBHOOK_SECRET: 'bench/slack',
  DESTINATION_KIND: 'webhook',
  DESTINATION_NAME: 'bench',
  DESTINATION_SECRET: 'bench/destination',
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-deliver',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-deliver-dlq',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface BundleFigure {
  name: string;
  sdk: 'bundled' | 'runtime';
  bytes: number;
  /** Median of RUNS cold imports, each in a fresh Node process. */
  importMs: number;
  /** The same with `--enable-source-maps`, as a stage with `sourceMapsAtRuntime` runs it. */
  importMsSourceMaps: number;
  /** Median, over rounds, of importMs ÷ the reference's in the same round. */
  ratio: number;
  /** The five largest contributors to what a cold start loads, by package. */
  top: { what: string; bytes: number }[];
  /** Our own modules in files loaded on first use, not on a cold start (infra/build.ts). */
  lazy: { source: string; bytes: number }[];
  /** Every file loaded on first use (the SDK's unused credential providers among them), in bytes. */
  laterBytes: number;
}

/**
 * The reference, bundled as NodejsFunction does by default when told ESM, minified, SDK inside:
 * esbuild, one file, no source map, no banner, no splitting.
 */
async function referenceBundle(dir: string): Promise<Bundle> {
  const file = join(dir, 'index.mjs');
  const { metafile } = await build({
    entryPoints: [join(ROOT, 'bench/reference-handler.ts')],
    outfile: file,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'warning',
  });
  return { file, bytes: Object.values(metafile.outputs)[0]!.bytes, metafile, lazy: [] };
}

export const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One cold import of `file` in a fresh Node process, in milliseconds. */
export function importOnce(file: string, nodeArgs: string[] = []): number {
  const run = spawnSync(process.execPath, [...nodeArgs, join(ROOT, 'bench/import-once.mjs'), file], {
    env: BENCH_ENV,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`importing ${file} failed:\n${run.stderr}`);
  return Number(run.stdout.trim());
}

/**
 * Cold imports of each file, RUNS rounds, each round importing every file once: a machine that gets
 * busier or quieter over the minutes a run takes then shifts every figure alike, not the ones
 * measured last. Returns each file's median, and its median ratio to the first file (the
 * reference) within the same round: a busy spell that slows one round slows both sides of its ratios,
 * where it would move a ratio of medians taken minutes apart.
 */
function importTimes(files: string[], nodeArgs: string[] = []): { medians: number[]; ratios: number[] } {
  const times = files.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [f, file] of files.entries()) times[f]!.push(importOnce(file, nodeArgs));
  }
  return {
    medians: times.map(median),
    ratios: times.map((t) => median(t.map((ms, round) => ms / times[0]![round]!))),
  };
}

/** The bundle's files a cold start loads, and the others (infra/build.ts decides which is which). */
function files(b: Bundle): { cold: Metafile['outputs'][string][]; later: Metafile['outputs'][string][] } {
  const cold: Metafile['outputs'][string][] = [];
  const later: Metafile['outputs'][string][] = [];
  const coldPaths = coldOutputs(b.metafile, b.file);
  for (const [path, out] of Object.entries(b.metafile.outputs)) {
    if (path.endsWith('.map')) continue;
    (coldPaths.has(path) ? cold : later).push(out);
  }
  return { cold, later };
}

/** Groups what a cold start loads by npm package (scoped names kept whole), or "project". */
function topContributors(b: Bundle): { what: string; bytes: number }[] {
  const byPackage = new Map<string, number>();
  for (const out of files(b).cold) {
    for (const [path, input] of Object.entries(out.inputs)) {
      const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const key = m ? m[1]! : 'project';
      byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .map(([what, bytes]) => ({ what, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
}

export const REFERENCE = 'reference (one DynamoDB client, NodejsFunction defaults)';

export async function benchBundles(): Promise<BundleFigure[]> {
  // Inside the repository, not /tmp: the runtime-SDK bundles resolve @aws-sdk/* from node_modules.
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'dist', '.bench-'));
  try {
    const figures: BundleFigure[] = [];
    const reference = await referenceBundle(join(dir, 'reference'));
    for (const sdk of ['bundled', 'runtime'] as const) {
      // "runtime": @aws-sdk/* left out, loaded from node_modules unminified as the nodejs24.x
      // runtime's own copy would be. The reference is the same in both.
      const built: { name: string; b: Bundle }[] = [{ name: REFERENCE, b: reference }];
      for (const name of FUNCTION_NAMES) {
        built.push({ name, b: await bundle(entryPath(name), join(dir, sdk, name), sdk) });
      }
      const { medians: plain, ratios } = importTimes(built.map(({ b }) => b.file));
      const { medians: withMaps } = importTimes(
        built.map(({ b }) => b.file),
        ['--enable-source-maps'],
      );
      built.forEach(({ name, b }, i) => {
        figures.push({
          name,
          sdk,
          bytes: b.bytes,
          importMs: plain[i]!,
          importMsSourceMaps: withMaps[i]!,
          ratio: ratios[i]!,
          top: topContributors(b),
          lazy: b.lazy.map(({ source, bytes }) => ({ source, bytes })),
          laterBytes: files(b).later.reduce((sum, o) => sum + o.bytes, 0),
        });
        process.stderr.write(
          `  ${sdk.padEnd(8)} ${name.padEnd(30)} ${(b.bytes / 1024).toFixed(0).padStart(5)} KB  ${plain[i]!.toFixed(1)} ms ×${ratios[i]!.toFixed(2)} (${withMaps[i]!.toFixed(1)} ms with source maps)\n`,
        );
      });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchBundles(), null, 2));
}
