import type { Scope } from './config/api.ts';

/*
 * Every Lambda of the bridge, one record each: the only place a function's name, routes, auth,
 * clients, table access, secrets, timeout and memory are stated. Derived from it: the dependency
 * types a route's logic gets (shared/api/deps.ts: a client the record does not list is a compile
 * error), the middy options of each route (shared/api/route.ts), the OpenAPI `security` blocks
 * (shared/api/openapi.ts), the local server's routing (local/api-server/), the functions, IAM
 * grants and API routes in infra/, and `npm run build`'s list. Plain data: the route entries bundle
 * it (a few hundred bytes), so it imports nothing but types.
 *
 * Adding a route: one record here plus its logic (docs/architecture.md, "Adding a route").
 */

/** What a function is given beyond the table and its configuration (shared/api/deps.ts `Clients`). */
export type Client = 'byrobot' | 'queue' | 'publish' | 'deliveries' | 'callbackQueue';

/**
 * Who may call a route: an API key with this scope, a Standard Webhooks source, byrobot's push
 * callbacks (the stage's callback token in the path, shared/callbacks/token.ts), or anyone.
 */
export type Auth = Scope | 'webhook' | 'callback' | 'none';

export type TableAction =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'BatchWriteItem'
  | 'BatchGetItem';

/** The partition-key prefixes of shared/store/table.ts: IAM conditions each grant on them. */
export type KeyPrefix =
  | 'CO#'
  | 'LEDGER#'
  | 'LEASE#'
  | 'IMPORT#'
  | 'IMPORTQ#'
  | 'IDEM#'
  | 'TASKCO#'
  | 'DLV#'
  | 'DLVDAY#'
  | 'DEST#'
  | 'CALL#'
  | 'INBOUND#'
  | 'CBBAD#';

/** The stage's Secrets Manager secrets a function reads (infra/stages.ts names them). */
export type Secret = 'byrobot' | 'apiKeys' | 'webhooks' | 'callbackToken';

export interface Route {
  method: 'GET' | 'POST';
  /** API Gateway's path syntax: `{name}` is a path parameter. */
  path: string;
}

interface FunctionRecord {
  /** Which clients its code is given: exactly these, checked by the compiler. */
  clients: readonly Client[];
  /**
   * The DynamoDB actions it calls, per partition-key prefix; infra grants each only on items whose
   * `pk` starts with the prefix (`dynamodb:LeadingKeys`). An idempotent route's `IDEM#` records
   * are added by infra from `idempotent` (IDEMPOTENCY_ACCESS), not listed here.
   */
  table: Partial<Record<KeyPrefix, readonly TableAction[]>>;
  secrets: readonly Secret[];
  timeoutSeconds: number;
  memoryMb: number;
}

export interface RouteRecord extends FunctionRecord {
  routes: readonly Route[];
  auth: Auth;
  /** The route takes a JSON body. */
  body?: boolean;
  /** Honours `Idempotency-Key` (and a webhook's `webhook-id`): a retry gets the first response. */
  idempotent?: boolean;
}

export interface WorkerRecord extends FunctionRecord {
  description: string;
}

/** What the idempotency records (shared/http/idempotency.ts) need of an idempotent route. */
export const IDEMPOTENCY_ACCESS = {
  'IDEM#': ['GetItem', 'PutItem', 'DeleteItem'],
} as const satisfies FunctionRecord['table'];

/** API Gateway HTTP APIs give up on an integration after 30 s. */
const API_TIMEOUT = 29;

/**
 * resolveTaskCompany (shared/api/task-company.ts): the task→company hint it reads, writes, and drops
 * when byrobot does not confirm it. Every route that acts on or reads a task by id uses it.
 */
const TASK_COMPANY_HINT = { 'TASKCO#': ['GetItem', 'PutItem', 'DeleteItem'] } as const;

/** A GET route that reads byrobot: the byrobot client and its secret, the API keys. */
const BYROBOT_READ = {
  auth: 'read',
  clients: ['byrobot'],
  secrets: ['byrobot', 'apiKeys'],
  timeoutSeconds: 15,
  memoryMb: 256,
} as const;

/** A POST route that acts in byrobot: a retry with the same Idempotency-Key gets the first response. */
const BYROBOT_WRITE = {
  idempotent: true,
  clients: ['byrobot'],
  secrets: ['byrobot', 'apiKeys'],
  timeoutSeconds: API_TIMEOUT,
  memoryMb: 512,
} as const;

/** Both import routes run one import (shared/api/imports.ts), so they touch the same items. */
const IMPORT_ROUTE = {
  ...BYROBOT_WRITE,
  body: true,
  clients: ['byrobot', 'queue'],
  table: {
    ...TASK_COMPANY_HINT,
    'IMPORT#': ['PutItem', 'UpdateItem'],
    'IMPORTQ#': ['PutItem', 'DeleteItem'],
  },
  memoryMb: 1024,
} as const;

export const MANIFEST = {
  'task-action': {
    routes: [
      { method: 'POST', path: '/tasks/{taskId}/start' },
      { method: 'POST', path: '/tasks/{taskId}/pause' },
      { method: 'POST', path: '/tasks/{taskId}/stop' },
    ],
    auth: 'control',
    ...BYROBOT_WRITE,
    table: TASK_COMPANY_HINT,
  },
  'create-task': {
    routes: [{ method: 'POST', path: '/tasks' }],
    auth: 'create',
    body: true,
    ...BYROBOT_WRITE,
    table: {},
  },
  'import-customers': {
    routes: [{ method: 'POST', path: '/tasks/{taskId}/customers' }],
    auth: 'import',
    ...IMPORT_ROUTE,
  },
  'webhook-customers': {
    routes: [{ method: 'POST', path: '/webhooks/{source}/tasks/{taskId}/customers' }],
    auth: 'webhook',
    ...IMPORT_ROUTE,
    secrets: ['byrobot', 'webhooks'],
  },
  'get-import': {
    routes: [{ method: 'GET', path: '/imports/{importId}' }],
    auth: 'read',
    clients: [],
    table: { 'IMPORT#': ['GetItem', 'Query'] },
    secrets: ['apiKeys'],
    timeoutSeconds: 10,
    memoryMb: 256,
  },
  'get-call': {
    routes: [{ method: 'GET', path: '/calls/{callInstanceId}' }],
    ...BYROBOT_READ,
    table: {},
  },
  'list-tasks': {
    routes: [{ method: 'GET', path: '/tasks' }],
    ...BYROBOT_READ,
    table: {},
  },
  'get-task': {
    routes: [{ method: 'GET', path: '/tasks/{taskId}' }],
    ...BYROBOT_READ,
    table: TASK_COMPANY_HINT,
  },
  'list-task-calls': {
    routes: [{ method: 'GET', path: '/tasks/{taskId}/calls' }],
    ...BYROBOT_READ,
    table: TASK_COMPANY_HINT,
    // Up to 20 of byrobot's pages when an intent filter matches little (shared/api/task-reads.ts).
    timeoutSeconds: API_TIMEOUT,
  },
  'get-deliveries': {
    routes: [{ method: 'GET', path: '/deliveries' }],
    auth: 'read',
    clients: [],
    // One event's deliveries (DLV#<eventId>) or a day's (DLVDAY#<date>): shared/delivery/log-store.ts.
    table: { 'DLV#': ['Query'], 'DLVDAY#': ['Query'] },
    secrets: ['apiKeys'],
    timeoutSeconds: 10,
    memoryMb: 256,
  },
  'delivery-action': {
    routes: [
      { method: 'POST', path: '/deliveries/replay' },
      { method: 'POST', path: '/destinations/{destination}/resume' },
    ],
    auth: 'control',
    // resume takes `{}`: one middleware chain for both paths.
    body: true,
    // The destinations' queues and DLQs (SQS): granted by infra/constructs/delivery.ts.
    clients: ['deliveries'],
    table: { 'DLV#': ['Query'], 'DEST#': ['UpdateItem'] },
    secrets: ['apiKeys'],
    timeoutSeconds: 10,
    memoryMb: 256,
  },
  'receive-callback': {
    routes: [{ method: 'POST', path: '/byrobot/callback/{token}' }],
    auth: 'callback',
    // No `body`: byrobot's private cloud sends JSON as text/plain, which the JSON-body middleware
    // refuses; the route parses the raw text itself (shared/callbacks/receive.ts).
    clients: ['callbackQueue'],
    // A callback it cannot understand is kept for inspection (CBBAD#<day>), never queued.
    table: { 'CBBAD#': ['PutItem'] },
    // The byrobot secret only for the optional sign/dateTime check (docs/api.md, "Push callbacks").
    secrets: ['callbackToken', 'byrobot'],
    // Answered well inside a second: one SendMessage or one PutItem, nothing else.
    timeoutSeconds: 10,
    memoryMb: 256,
  },
  openapi: {
    routes: [
      { method: 'GET', path: '/openapi.json' },
      // The reference page rendered from it (shared/api/docs-page.ts), and the renderer's files.
      { method: 'GET', path: '/docs' },
      { method: 'GET', path: '/docs/{file}' },
    ],
    auth: 'none',
    clients: [],
    table: {},
    secrets: [],
    timeoutSeconds: 5,
    memoryMb: 256,
  },
  health: {
    routes: [{ method: 'GET', path: '/health' }],
    auth: 'none',
    clients: [],
    table: {},
    // It answers 500 when the configuration does not load: it reads the API keys to find out.
    secrets: ['apiKeys'],
    timeoutSeconds: 5,
    memoryMb: 256,
  },
  poller: {
    description: 'One poll cycle: byrobot task state → EventBridge events',
    clients: ['byrobot', 'publish'],
    table: {
      // UpdateItem: with callbacks on, the ledger's per-task call counter (CO#/CALLS#).
      'CO#': ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
      'LEDGER#': ['Query', 'BatchWriteItem'],
      'LEASE#': ['PutItem', 'DeleteItem'],
      // Callbacks on: the call ledger push and pull share (shared/calls/ledger.ts): claim, read a
      // claim that lost, mark announced, give a claim back after a refused publish, which are announced.
      'CALL#': ['PutItem', 'GetItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem'],
    },
    secrets: ['byrobot'],
    timeoutSeconds: 90,
    memoryMb: 512,
  },
  'import-worker': {
    description: 'One import chunk per SQS message (partial batch failures)',
    clients: ['byrobot', 'publish'],
    table: { 'IMPORT#': ['GetItem', 'UpdateItem'] },
    secrets: ['byrobot'],
    timeoutSeconds: 60,
    memoryMb: 512,
  },
  'import-sweeper': {
    description: 'Re-sends the chunks of imports whose sender died before its last SendMessageBatch',
    clients: ['queue'],
    table: { 'IMPORT#': ['GetItem', 'Query', 'UpdateItem'], 'IMPORTQ#': ['Query', 'DeleteItem'] },
    secrets: [],
    timeoutSeconds: 60,
    memoryMb: 256,
  },
  'process-callbacks': {
    description:
      "byrobot's push callbacks (SQS) → the call ledger and EventBridge events (partial batch failures)",
    clients: ['byrobot', 'publish'],
    table: {
      // The call ledger (shared/calls/ledger.ts): attempts and intent state, and inbound calls.
      'CALL#': ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
      'INBOUND#': ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'],
      // The task's announced-calls counter (UpdateItem) and its snapshot (GetItem, PutItem).
      'CO#': ['GetItem', 'PutItem', 'UpdateItem'],
    },
    secrets: ['byrobot'],
    // A batch of 10: ledger writes, one PutEvents each, at most a phoneLogInfo or getTaskDetail.
    timeoutSeconds: 60,
    memoryMb: 512,
  },
  deliver: {
    description: "One destination's queue → DingTalk, WeCom, Feishu or a signed webhook (retries, DLQ, log)",
    clients: [],
    table: {
      'DLV#': ['PutItem', 'UpdateItem'],
      'DLVDAY#': ['PutItem'],
      'DEST#': ['GetItem', 'UpdateItem'],
    },
    // Each destination's own secret and queues, granted per destination by infra/constructs/delivery.ts.
    secrets: [],
    // One attempt waits at most 10 s for the vendor, a batch of 5 at most 50 s plus the log writes.
    timeoutSeconds: 60,
    memoryMb: 256,
  },
  'slack-notify': {
    description: "Posts a notification rule's events to a Slack incoming webhook",
    clients: [],
    table: {},
    // Each Slack rule's own webhook secret, granted per rule by infra/constructs/notifications.ts.
    secrets: [],
    timeoutSeconds: 15,
    memoryMb: 256,
  },
} as const satisfies Record<string, RouteRecord | WorkerRecord>;

export type Manifest = typeof MANIFEST;
export type FunctionName = keyof Manifest;
/** The functions behind the HTTP API. */
export type RouteName = {
  [N in FunctionName]: Manifest[N] extends { routes: unknown } ? N : never;
}[FunctionName];
/** The clients a function's record lists. */
export type ClientsOf<N extends FunctionName> = Manifest[N]['clients'][number];

// Pure: a route entry's bundle keeps only MANIFEST, which its middy options are read from.
export const FUNCTION_NAMES = /* @__PURE__ */ Object.keys(MANIFEST) as FunctionName[];
export const ROUTE_NAMES = /* @__PURE__ */ FUNCTION_NAMES.filter(
  (n): n is RouteName => 'routes' in MANIFEST[n],
);

/** The record of a route's function, typed as a route's (every RouteName's record has routes). */
export const routeRecord = (name: RouteName): RouteRecord => MANIFEST[name];

/** Every method and path of the HTTP API with the function that serves it, in manifest order. */
export const API_ROUTES = /* @__PURE__ */ ROUTE_NAMES.flatMap((fn) =>
  routeRecord(fn).routes.map((r) => ({ ...r, fn, auth: routeRecord(fn).auth })),
);

/** A function's Lambda description: its routes, or what it does. */
export function functionDescription(name: FunctionName): string {
  const record: RouteRecord | WorkerRecord = MANIFEST[name];
  return 'routes' in record
    ? record.routes.map((r) => `${r.method} ${r.path}`).join(', ')
    : record.description;
}
