import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../infra/functions.ts';
import { STAGES } from '../../infra/stages.ts';

/** One function per entry, the Slack forwarder once per Slack rule of the stage. */
/** One per entry; the Slack forwarder once per Slack rule; the deliverer once per destination. */
const functionCount = (stage: string) =>
  Object.keys(FUNCTIONS).length -
  2 +
  STAGES[stage]!.notifications.filter((r) => r.slackWebhookSecret).length +
  STAGES[stage]!.notifications.flatMap((r) => r.destinations ?? []).length;

/*
 * The command a user runs, offline, with real bundling: `cdk synth -c stage=<name>` through the
 * pinned CLI (aws-cdk 2.1148.x), cdk-nag included. A deploy cannot be tried here; this is the
 * closest real thing.
 */

const ROOT = join(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'bridge-cdk-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function cdkSynth(stage: string) {
  return spawnSync(
    join(ROOT, 'node_modules/.bin/cdk'),
    ['synth', '--no-notices', '--no-version-reporting', '-q', '-c', `stage=${stage}`, '-o', join(out, stage)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' },
      timeout: 120_000,
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
        const name = Object.entries(FUNCTIONS).find(([, spec]) =>
          fn.Properties.Description?.startsWith(`${spec.description} (`),
        )?.[0];
        expect(name, fn.Properties.Description).toBeTruthy();
        expect(assetOf.get(name!) ?? asset).toBe(asset);
        assetOf.set(name!, asset!);
        const files = readdirSync(join(out, stage, asset!));
        expect(files).toContain('index.mjs');
        expect(files.includes('shared.api.queue.mjs'), name).toBe(name!.endsWith('-customers'));
        expect(readFileSync(join(out, stage, asset!, 'index.mjs'), 'utf8').length).toBeGreaterThan(10_000);
      }
      // No two functions share an asset (CDK caches bundling per source path and options).
      expect(new Set(assetOf.values()).size).toBe(assetOf.size);
    },
    120_000,
  );

  it('builds an asset that does not depend on where CDK wants it (its hash is the bundle)', () => {
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
    expect(files).toEqual(['index.mjs', 'index.mjs.map', 'shared.api.queue.mjs', 'shared.api.queue.mjs.map']);
    expect(readdirSync(far).sort()).toEqual(files);
    for (const f of files)
      expect(readFileSync(join(far, f), 'utf8'), f).toBe(readFileSync(join(near, f), 'utf8'));
  }, 60_000);

  it('fails on an unknown stage and names the known ones', () => {
    const run = cdkSynth('staging');
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toMatch(/unknown stage "staging".*dev, prod/);
  }, 120_000);
});
