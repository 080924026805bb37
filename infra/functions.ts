import { join } from 'node:path';

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

export interface FunctionSpec {
  /** Entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  timeoutSeconds: number;
  memoryMb: number;
  description: string;
}

const route = (entry: string, description: string, timeoutSeconds = 29, memoryMb = 512): FunctionSpec => ({
  entry: `functions/${entry}.ts`,
  // API Gateway HTTP APIs give up on an integration after 30 s.
  timeoutSeconds,
  memoryMb,
  description,
});

/**
 * Every Lambda of the bridge, in one list: the stack, `npm run build`, the bundle tests and the
 * bench read it. One function per route so each gets only the permissions its route needs.
 */
export const FUNCTIONS = {
  poller: {
    entry: 'functions/poller.ts',
    timeoutSeconds: 90,
    memoryMb: 512,
    description: 'One poll cycle: byrobot task state → EventBridge events',
  },
  'task-action': route('task-action', 'POST /tasks/{taskId}/start|pause|stop'),
  'create-task': route('create-task', 'POST /tasks'),
  'import-customers': route('import-customers', 'POST /tasks/{taskId}/customers (API key)', 29, 1024),
  'webhook-customers': route(
    'webhook-customers',
    'POST /webhooks/{source}/tasks/{taskId}/customers (Standard Webhooks)',
    29,
    1024,
  ),
  'get-import': route('get-import', 'GET /imports/{importId}', 10, 256),
  'get-call': route('get-call', 'GET /calls/{callInstanceId}', 15, 256),
  'get-deliveries': route('get-deliveries', 'GET /deliveries', 10, 256),
  'delivery-action': route(
    'delivery-action',
    'POST /deliveries/replay, /destinations/{destination}/resume',
    10,
    256,
  ),
  deliver: {
    entry: 'functions/deliver.ts',
    // One attempt waits at most 10 s for the vendor, a batch of 5 at most 50 s plus the log writes.
    timeoutSeconds: 60,
    memoryMb: 256,
    description: "One destination's queue → DingTalk, WeCom, Feishu or a signed webhook (retries, DLQ, log)",
  },
  openapi: route('openapi', 'GET /openapi.json', 5, 256),
  health: route('health', 'GET /health', 5, 256),
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
