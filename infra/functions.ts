import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root: entry paths below are relative to it. */
export const ROOT = join(import.meta.dirname, '..');

/**
 * The esbuild settings every function is bundled with. `BridgeFunction` passes them to
 * NodejsFunction and `npm run build` (infra/build.ts) hands the same values to esbuild, so the
 * artefact the bundle tests load is the one that deploys.
 */
export const ESBUILD = {
  target: 'node24',
  platform: 'node',
  format: 'esm',
  minify: true,
  sourcemap: true,
  /**
   * ESM output with CommonJS dependencies inside (parts of the AWS SDK, Powertools): esbuild's
   * `require` shim throws in ESM, so give the bundle a real one.
   */
  banner:
    "import { createRequire as __bridgeCreateRequire } from 'node:module'; const require = __bridgeCreateRequire(import.meta.url);",
  mainFields: ['module', 'main'],
  /**
   * Bundle our pinned AWS SDK v3 rather than using the copy nodejs24.x ships: the same code runs
   * in tests, locally and on Lambda, and bench/infra.ts shows the cold import cost (see the
   * figures in docs/deploy.md). Put '@aws-sdk/*' here to flip the decision.
   */
  external: [] as string[],
} as const;

export interface FunctionSpec {
  /** Entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  timeoutSeconds: number;
  memoryMb: number;
  description: string;
}

/** Every Lambda of the bridge, in one list: the stack, `npm run build` and the bench read it. */
export const FUNCTIONS = {
  poller: {
    entry: 'functions/poller.ts',
    timeoutSeconds: 90,
    memoryMb: 512,
    description: 'One poll cycle: byrobot task state → EventBridge events',
  },
  api: {
    entry: 'functions/api.ts',
    timeoutSeconds: 29,
    memoryMb: 1024,
    description: 'Every HTTP API route (payload v2)',
  },
  'import-worker': {
    entry: 'functions/import-worker.ts',
    timeoutSeconds: 60,
    memoryMb: 512,
    description: 'One import chunk per SQS message (partial batch failures)',
  },
  'slack-notify': {
    entry: 'functions/slack-notify.ts',
    timeoutSeconds: 15,
    memoryMb: 256,
    description: "Posts a notification rule's events to a Slack incoming webhook",
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

export const entryPath = (name: FunctionName) => join(ROOT, FUNCTIONS[name].entry);

/** Whether a function's entry file exists yet (the stack and the build skip absent ones loudly). */
export const entryExists = (name: FunctionName) => existsSync(entryPath(name));
