import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, functionDescription } from '../../shared/manifest.ts';
import { functionCount } from './expected.ts';

/*
 * The command CI runs, offline, with real bundling: `cdk synth -c stage=<name>` through the
 * pinned CLI (aws-cdk 2.1148.x), cdk-nag included. A deploy cannot be tried here; this is the
 * closest real thing.
 */

const ROOT = join(import.meta.dirname, '../..');
/** The file esbuild splits shared/api/queue.ts into (infra/build.ts), named after its content's hash. */
const QUEUE_CHUNK = /^queue-[A-Z0-9]{8}\.mjs$/;
/**
 * A synth costs about 25 s of CPU; on a shared 2-core machine under load it took 90 s of wall time
 * (load average 13), so the limit leaves room for that, not for a hang.
 */
const SYNTH_LIMIT_MS = 240_000;
const out = mkdtempSync(join(tmpdir(), 'bridge-cdk-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function cdkSynth(stage: string) {
  return spawnSync(
    join(ROOT, 'node_modules/.bin/cdk'),
    // No credentials here: a stage that names no account yet synthesizes for one nobody can deploy to.
    ['synth', '--no-notices', '--no-version-reporting', '-q', '-c', `stage=${stage}`, '-o', join(out, stage)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' },
      timeout: SYNTH_LIMIT_MS,
    },
  );
}

describe('cdk synth (the CLI, offline, with bundling)', () => {
  it.each(['dev', 'prod'])(
    'synthesizes stage %s with every function bundled and cdk-nag clean',
    (stage) => {
      const run = cdkSynth(stage);
      expect(run.status, run.stderr).toBe(0);
      const template = JSON.parse(
        readFileSync(join(out, stage, `ByrobotBridge-${stage}.template.json`), 'utf8'),
      ) as {
        Resources: Record<
          string,
          { Type: string; Metadata?: Record<string, string>; Properties: { Description?: string } }
        >;
      };
      const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(fns).toHaveLength(functionCount(stage));
      // Each function's code is its own bundled asset directory holding index.mjs; the import
      // routes' also hold the SQS queue module they load on first use.
      const assetOf = new Map<string, string>();
      for (const fn of fns) {
        const asset = fn.Metadata?.['aws:asset:path'];
        expect(asset).toBeTruthy();
        const name = FUNCTION_NAMES.find((n) =>
          fn.Properties.Description?.startsWith(`${functionDescription(n)} (`),
        );
        expect(name, fn.Properties.Description).toBeTruthy();
        expect(assetOf.get(name!) ?? asset).toBe(asset);
        assetOf.set(name!, asset!);
        const files = readdirSync(join(out, stage, asset!));
        expect(files).toContain('index.mjs');
        expect(
          files.some((f) => QUEUE_CHUNK.test(f)),
          name,
        ).toBe(name!.endsWith('-customers'));
        expect(readFileSync(join(out, stage, asset!, 'index.mjs'), 'utf8').length).toBeGreaterThan(10_000);
      }
      // No two functions share an asset (CDK caches bundling per source path and options).
      expect(new Set(assetOf.values()).size).toBe(assetOf.size);
    },
    SYNTH_LIMIT_MS,
  );

  it(
    'builds an asset that does not depend on where CDK wants it (its hash is the bundle)',
    () => {
      const build = (dir: string) =>
        spawnSync(
          process.execPath,
          ['--import', 'tsx', join(ROOT, 'infra/build.ts'), 'import-customers', dir],
          {
            cwd: ROOT,
            encoding: 'utf8',
          },
        );
      const near = join(out, 'near');
      const far = join(out, 'far', 'away', 'from', 'here');
      for (const dir of [near, far]) expect(build(dir).status).toBe(0);
      const files = readdirSync(near).sort();
      expect(files).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map']));
      expect(files.filter((f) => QUEUE_CHUNK.test(f))).toHaveLength(1);
      expect(readdirSync(far).sort()).toEqual(files);
      for (const f of files)
        expect(readFileSync(join(far, f), 'utf8'), f).toBe(readFileSync(join(near, f), 'utf8'));
      // Two bundlings of one function: less work than a synth, under the same load.
    },
    SYNTH_LIMIT_MS,
  );

  it(
    'fails on an unknown stage and names the known ones',
    () => {
      const run = cdkSynth('staging');
      expect(run.status).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`).toMatch(/unknown stage "staging".*dev, prod/);
    },
    SYNTH_LIMIT_MS,
  );
});
