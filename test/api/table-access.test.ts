import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableAccess } from '../../infra/grants.ts';
import { lambdaContext } from '../../local/api-server/events.ts';
import { callbackProcessorHandler } from '../../local/api-server/handlers.ts';
import { QUEUEING_STUCK_MS } from '../../shared/api/import-store.ts';
import { sweepStuckImports } from '../../shared/api/imports.ts';
import { LOCAL_CALLBACK_TOKEN } from '../../shared/callbacks/token.ts';
import { CallLedger } from '../../shared/calls/ledger.ts';
import { DETAIL_TYPES } from '../../shared/events/builders.ts';
import { signWebhook } from '../../shared/http/auth.ts';
import type { FunctionName } from '../../shared/manifest.ts';
import { PollerStore } from '../../shared/poller/store.ts';
import { createDocumentClient } from '../../shared/store/dynamo.ts';
import { type ApiStack, KEYS, startApiStack, WEBHOOK_SECRETS } from '../support/api-stack.ts';
import { getImport } from '../support/app-requests.ts';
import { createDemoTask, customers } from '../support/demo-task.ts';
import { type LocalStack, startLocalStack } from '../support/local-stack.ts';
import { testSnapshot, zeroCounts } from '../support/snapshot.ts';

/*
 * The table grants of shared/manifest.ts held against what the code calls: every DynamoDB request
 * the API functions, the import worker and the poller make against dynalite, recorded with the function that
 * made it, must be one its record grants (action and partition-key prefix), and every action a
 * record grants must be called by one of the paths driven here. A record missing an action fails
 * the first half (the call would be AccessDenied on AWS); one granting an action nobody calls fails
 * the second.
 */

const current = new AsyncLocalStorage<FunctionName>();
const calls = new Set<string>();
let api: ApiStack;
let stack: LocalStack;

/** The partition keys a DocumentClient request names. */
function partitionKeys(input: Record<string, unknown>): string[] {
  const { Key, Item, ExpressionAttributeValues, RequestItems } = input as {
    Key?: { pk: string };
    Item?: { pk: string };
    ExpressionAttributeValues?: { ':pk'?: string };
    RequestItems?: Record<
      string,
      | Array<{ PutRequest?: { Item: { pk: string } }; DeleteRequest?: { Key: { pk: string } } }>
      | { Keys: Array<{ pk: string }> }
    >;
  };
  if (Key) return [Key.pk];
  if (Item) return [Item.pk];
  if (ExpressionAttributeValues?.[':pk']) return [ExpressionAttributeValues[':pk']];
  return Object.values(RequestItems ?? {}).flatMap((rs) =>
    // BatchGetItem names keys; BatchWriteItem, requests.
    Array.isArray(rs)
      ? rs.map((r) => r.PutRequest?.Item.pk ?? r.DeleteRequest?.Key.pk ?? '?')
      : rs.Keys.map((k) => k.pk),
  );
}

/** Records each request the client sends as `<function> <action> <key prefix>`. */
function recordTableAccess(doc: DynamoDBDocumentClient, who: () => string | undefined) {
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const action = (context.commandName ?? '?').replace(/Command$/, '');
      for (const pk of partitionKeys(args.input as Record<string, unknown>))
        calls.add(`${who() ?? 'unattributed'} ${action} ${pk.slice(0, pk.indexOf('#') + 1)}`);
      return next(args);
    },
    { step: 'initialize', name: 'recordTableAccess' },
  );
}

const as = <T>(fn: FunctionName, run: () => Promise<T>) => current.run(fn, run);
const phone = (i: number) => `13${String(i).padStart(9, '0')}`;
const rows = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `客户${from + i}`, phone: phone(from + i) }));

beforeAll(async () => {
  api = await startApiStack();
  recordTableAccess(api.deps.doc, () => current.getStore());
  api.queue.attach((event: SQSEvent) => as('import-worker', () => api.worker(event)));
  const admin = api.auth(KEYS.admin);
  type Input = Parameters<ApiStack['call']>[1];
  /** Sent twice with one key (the second is a replay), then refused with another (abandoned). */
  const idempotent = async (fn: FunctionName & Parameters<ApiStack['call']>[0], input: Input, bad: Input) => {
    const first = await as(fn, () => api.call(fn, input));
    expect(first.status, JSON.stringify(first.json)).toBeLessThan(300);
    const again = await as(fn, () => api.call(fn, input));
    expect(again.headers['idempotent-replayed'], fn).toBe('true');
    expect((await as(fn, () => api.call(fn, bad))).status, fn).toBeGreaterThanOrEqual(400);
    return first;
  };
  const task = { companyId: 1, taskName: 'table access', userPhoneIds: [11], robotDefId: 101 };
  const create = (key: string, body: unknown): Input => ({
    method: 'POST',
    path: '/tasks',
    headers: { ...admin, 'idempotency-key': key },
    body,
  });
  const tasks: number[] = [];
  for (const n of [1, 2, 3]) {
    const created = await idempotent('create-task', create(`create-${n}`, task), create(`bad-${n}`, {}));
    tasks.push(created.json.taskId as number);
  }
  const [acted, imported, hooked] = tasks as [number, number, number];
  const stop = (key: string, taskId: number): Input => ({
    method: 'POST',
    path: `/tasks/${taskId}/stop`,
    pathParameters: { taskId: String(taskId) },
    headers: { ...admin, 'idempotency-key': key },
  });
  await idempotent('task-action', stop('stop', acted), stop('stop-bad', 999_999));
  const importInput = (key: string, body: unknown): Input => ({
    method: 'POST',
    path: `/tasks/${imported}/customers`,
    pathParameters: { taskId: String(imported) },
    headers: { ...admin, 'idempotency-key': key },
    body,
  });
  const queued = await idempotent(
    'import-customers',
    importInput('import', { customers: rows(1500, 0) }),
    importInput('import-bad', { customers: [] }),
  );
  expect(queued.status).toBe(202);
  const webhook = (id: string, body: unknown): Input => {
    const raw = JSON.stringify(body);
    const ts = Math.floor(Date.now() / 1000);
    return {
      method: 'POST',
      path: `/webhooks/crm/tasks/${hooked}/customers`,
      pathParameters: { source: 'crm', taskId: String(hooked) },
      headers: {
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(WEBHOOK_SECRETS.current, id, ts, raw),
      },
      body: raw,
    };
  };
  const sent = await idempotent(
    'webhook-customers',
    webhook('msg_table_access', { customers: rows(1200, 5000) }),
    webhook('msg_table_access_bad', { customers: [] }),
  );
  expect(sent.status).toBe(202);
  await api.queue.drained();
  // An import whose sender died before its SendMessageBatch, then the sweep that finishes it
  // (no key: the 5xx would free one, which the list below says these paths do not provoke).
  const queue = api.deps.queue;
  Object.defineProperty(api.deps, 'queue', {
    configurable: true,
    value: {
      send: async () => {
        throw new Error('Task timed out after 29.00 seconds');
      },
    },
  });
  const died = await as('import-customers', () =>
    api.call('import-customers', { ...importInput('', { customers: rows(1500, 9000) }), headers: admin }),
  );
  expect(died.status).toBe(500);
  Object.defineProperty(api.deps, 'queue', { configurable: true, value: queue });
  const swept = await as('import-sweeper', () =>
    sweepStuckImports(api.deps, Date.now() + QUEUEING_STUCK_MS + 60_000),
  );
  expect(swept.requeued).toEqual([{ importId: expect.any(String), chunks: 2 }]);
  await api.queue.drained();
  const importId = queued.json.importId as string;
  const read = await as('get-import', () => getImport(api, importId));
  expect(read.json.status).toBe('completed');
  for (const fn of ['health', 'openapi'] as const)
    await as(fn, () =>
      api.call(fn, { method: 'GET', path: `/${fn === 'health' ? 'health' : 'openapi.json'}` }),
    );

  // byrobot's push callbacks: the receiver (a call record, twice; an intent change; an inbound call;
  // a task status; garbage) and the processor behind its queue.
  const processor = callbackProcessorHandler(api.deps);
  api.callbackQueue.attach((event: SQSEvent) =>
    as('process-callbacks', () => processor(event, lambdaContext('process-callbacks'))),
  );
  const fixture = (name: string) =>
    readFileSync(new URL(`../fixtures/callbacks/${name}.json`, import.meta.url), 'utf8');
  // A snapshot the status push moves on, written outside any function (not recorded).
  await new PollerStore(
    createDocumentClient({ endpoint: api.dynamo.endpoint }),
    api.tableName,
  ).commitSnapshot(
    testSnapshot({ companyId: 243, taskId: 535, name: '测试-问题学习', counts: zeroCounts({ total: 1 }) }),
  );
  const status = JSON.parse(fixture('task-status'));
  status.data.data.status = 4;
  const regrade = JSON.stringify({
    code: 200,
    data: {
      dataType: 'CALL_INSTANCE_RESULT',
      data: {
        taskResult: [{ companyId: 1, sceneInstanceId: 1, resultName: '客户意向等级', resultValue: 'A' }],
      },
    },
  });
  const bodies = [
    fixture('call-record'),
    fixture('call-record'),
    fixture('inbound-call'),
    fixture('inbound-call'),
    JSON.stringify(status),
    'not json',
  ];
  const callback = (body: string) =>
    as('receive-callback', () =>
      api.call('receive-callback', {
        method: 'POST',
        path: `/byrobot/callback/${LOCAL_CALLBACK_TOKEN}`,
        pathParameters: { token: LOCAL_CALLBACK_TOKEN },
        headers: { 'content-type': 'text/plain;charset=utf-8' },
        body,
      }),
    );
  for (const body of bodies) expect((await callback(body)).status).toBe(200);
  await api.callbackQueue.drained();
  expect((await callback(regrade)).status).toBe(200);
  await api.callbackQueue.drained();

  // The poller: a first cycle (baseline), then a task's calls until some are announced.
  stack = await startLocalStack();
  recordTableAccess(stack.doc, () => 'poller');
  await stack.poll(1);
  const { taskId, variables } = await createDemoTask(stack, 'table access');
  await stack.byrobot.importCustomers({ companyId: 1, taskId, customers: customers(4, variables) });
  await stack.poll(1);
  await stack.byrobot.start(taskId);
  for (let i = 0; i < 100 && stack.details(DETAIL_TYPES.callCompleted).length === 0; i++) {
    await stack.advance(60);
    await stack.poll(1);
  }
  expect(stack.details(DETAIL_TYPES.callCompleted).length).toBeGreaterThan(0);
  await stack.poll(1);

  // The poller with callbacks on (the reconciler): it reads the call counters, asks the shared
  // ledger which calls are announced, claims and announces the others, and finds one held by a
  // live push claim (made through a client of its own, not the poller's).
  const reconciling = { callbacks: { ledger: new CallLedger(stack.doc, stack.tableName), graceMs: 0 } };
  const pushLedger = new CallLedger(
    createDocumentClient({ endpoint: stack.dynamo.endpoint }),
    stack.tableName,
  );
  const pushed = await createDemoTask(stack, 'table access push');
  await stack.byrobot.importCustomers({
    companyId: 1,
    taskId: pushed.taskId,
    customers: customers(6, pushed.variables, 100),
  });
  await stack.byrobot.start(pushed.taskId);
  await stack.poll(1, {}, reconciling);
  const done = [];
  for (let i = 0; i < 100 && done.length < 2; i++) {
    await stack.advance(60);
    done.length = 0;
    for await (const c of stack.byrobot.doneCalls({ taskId: pushed.taskId })) done.push(c);
  }
  const held = done[0]!;
  const claim = {
    companyId: 1,
    callInstanceId: held.callInstanceId,
    attempt: held.redial.times,
    taskId: pushed.taskId,
  };
  expect(await pushLedger.claim(claim, 'push')).toBe('claimed');
  const before = stack.details(DETAIL_TYPES.callCompleted).length;
  expect((await stack.poll(1, {}, reconciling)).failures).toEqual([]);
  expect(stack.details(DETAIL_TYPES.callCompleted).length).toBeGreaterThan(before);
}, 120_000);
afterAll(() => Promise.all([api?.close(), stack?.close()]));

const EXERCISED: FunctionName[] = [
  'poller',
  'create-task',
  'task-action',
  'import-customers',
  'webhook-customers',
  'import-worker',
  'import-sweeper',
  'get-import',
  'health',
  'openapi',
  'receive-callback',
  'process-callbacks',
];

describe('Table access: the manifest against the code', () => {
  it('every request the functions make is granted by their record', () => {
    const granted = new Set(
      EXERCISED.flatMap((fn) =>
        tableAccess(fn).flatMap(([prefix, actions]) => actions.map((a) => `${fn} ${a} ${prefix}`)),
      ),
    );
    expect([...calls].filter((c) => !granted.has(c))).toEqual([]);
  });

  it('every action a record grants is called by its function', () => {
    const granted = EXERCISED.flatMap((fn) =>
      tableAccess(fn).flatMap(([prefix, actions]) => actions.map((a) => `${fn} ${a} ${prefix}`)),
    );
    // Only the poller's sweep of missed calls reads a task's ledger back (sweepMissedCalls in
    // shared/poller/cycle.ts): the calls listed out of order, or lost to a failure, which these
    // paths do not provoke.
    // And an idempotent route frees its key (DeleteItem IDEM#) only after a 5xx or a refusal before
    // its logic ran (shared/http/idempotency.ts: a 4xx answer is kept for the key), which these
    // paths do not provoke either.
    const freesKeyOnlyOn5xx = ['create-task', 'task-action', 'import-customers', 'webhook-customers'].map(
      (fn) => `${fn} DeleteItem IDEM#`,
    );
    // The task→company cache drops a hint byrobot does not confirm (shared/api/task-company.ts: a
    // byrobot-side reset reused the task id); test/attack/regressions.test.ts provokes that one.
    const dropsStaleHint = ['task-action', 'import-customers', 'webhook-customers'].map(
      (fn) => `${fn} DeleteItem TASKCO#`,
    );
    // A ledger claim is given back (DeleteItem CALL#/INBOUND#) only when EventBridge refuses the
    // batch (announceCalls in shared/calls/ledger.ts; test/integration/call-ledger.test.ts).
    const releasesOnRefusedPublish = [
      'poller DeleteItem CALL#',
      'process-callbacks DeleteItem CALL#',
      'process-callbacks DeleteItem INBOUND#',
    ];
    expect(granted.filter((g) => !calls.has(g)).sort()).toEqual(
      ['poller Query LEDGER#', ...freesKeyOnlyOn5xx, ...dropsStaleHint, ...releasesOnRefusedPublish].sort(),
    );
  });
});
