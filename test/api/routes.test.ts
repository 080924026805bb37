import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../shared/http/auth.ts';
import { type ApiStack, KEYS, startApiStack, WEBHOOK_SECRETS } from '../support/api-stack.ts';
import {
  getImport,
  postAction,
  postImport,
  postTask,
  postWebhook,
  simTask,
} from '../support/app-requests.ts';
import { compileEventSchema } from '../support/json-schema.ts';

let api: ApiStack;
let task1: number; // company 1, robot 101 (no script variables)
let task2: number; // company 2
let varsTask: number; // company 1, robot 102 (needs 还款金额)

const newTask = async (companyId: number, robotDefId: number, phone: number, name = 'API 测试') => {
  const r = await postTask(api, {
    companyId,
    taskName: name,
    userPhoneIds: [phone],
    robotDefId,
    concurrencyQuota: 2,
  });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.taskId as number;
};
const importInto = (
  taskId: number,
  body: unknown,
  key: string = KEYS.admin,
  headers: Record<string, string> = {},
) => postImport(api, taskId, body, { ...api.auth(key), ...headers });
const act = (
  taskId: number,
  action: string,
  key: string = KEYS.admin,
  headers: Record<string, string> = {},
) => postAction(api, taskId, action, { ...api.auth(key), ...headers });
const row = (i: number, extra: Record<string, unknown> = {}) => ({
  name: `客户${i}`,
  phone: `1390000${String(i).padStart(4, '0')}`,
  ...extra,
});

beforeAll(async () => {
  api = await startApiStack();
  task1 = await newTask(1, 101, 11);
  task2 = await newTask(2, 111, 21);
  varsTask = await newTask(1, 102, 12, '还款');
});
afterEach(() => api.sim.sim.clearFaults());
afterAll(() => api?.close());

describe('Routes: success paths', () => {
  it('POST /tasks creates a task: 201 with its id', async () => {
    expect(task1).toBeGreaterThan(0);
    expect((await api.sim.sim.world().task(task1)).name).toBe('API 测试');
  });

  it('POST /tasks/{id}/customers imports a small batch at once, with counts and per-row outcomes', async () => {
    const r = await importInto(task1, {
      customers: [row(1, { properties: { crmId: 'L-1' } }), row(1), row(2), { name: '坏', phone: '12345' }],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      status: 'completed',
      taskId: task1,
      companyId: 1,
      counts: {
        received: 4,
        valid: 2,
        duplicates: 1,
        invalid: 1,
        imported: 2,
        repeats: 0,
        variableFailures: 0,
      },
      invalid: [{ index: 3, field: 'phone', rule: 'phone-format' }],
      duplicates: [{ index: 1, duplicateOf: 0, phone: '139****0001' }],
    });
  });

  it('start, pause and stop: 200 with the task and the action taken', async () => {
    const start = await act(task1, 'start');
    expect(start.status, JSON.stringify(start.json)).toBe(200);
    expect(start.json).toMatchObject({
      taskId: task1,
      companyId: 1,
      action: 'start',
      task: { status: { code: 1 } },
    });
    expect((await act(task1, 'pause')).json).toMatchObject({
      action: 'pause',
      task: { status: { code: 4 } },
    });
    const resumed = await act(task1, 'start');
    expect(resumed.status, JSON.stringify(resumed.json)).toBe(200);
  });

  it('GET /calls/{id}: one call, shaped as Call Completed carries it', async () => {
    api.sim.sim.advance(3600);
    const [done] = api.sim.sim.world().task(task1).done;
    const r = await api.call('get-call', {
      method: 'GET',
      path: `/calls/${done!.callInstanceId}`,
      pathParameters: { callInstanceId: String(done!.callInstanceId) },
      headers: api.auth(KEYS.readOnly),
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      callInstanceId: done!.callInstanceId,
      taskId: task1,
      companyId: 1,
      finishStatus: { code: done!.finishStatus },
    });
    const schema = JSON.parse(
      readFileSync(new URL('../../docs/events/call-completed.json', import.meta.url), 'utf8'),
    );
    const validate = compileEventSchema({
      ...schema,
      required: (schema.required as string[]).filter((k) => k !== 'eventId' && k !== 'detectedAt'),
    });
    expect(validate(r.json), JSON.stringify(validate.errors)).toBe(true);
  });

  it('GET /openapi.json and GET /health need no key', async () => {
    const doc = await api.call('openapi', { method: 'GET', path: '/openapi.json' });
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    expect((await api.call('health', { method: 'GET', path: '/health' })).json).toMatchObject({
      status: 'ok',
    });
  });

  it('stop ends the task; a second stop is byrobot refusing the state: 422 with its message', async () => {
    const taskId = await newTask(1, 101, 13, '停止');
    expect((await importInto(taskId, { customers: [row(200), row(201)] })).status).toBe(200);
    expect((await act(taskId, 'start')).status).toBe(200);
    expect((await act(taskId, 'stop')).json).toMatchObject({ action: 'stop', task: { status: { code: 6 } } });
    const again = await act(taskId, 'stop');
    expect(again.status).toBe(422);
    expect(again.headers['content-type']).toBe('application/problem+json');
    expect(again.json.detail).toMatch(/任务已结束/);
  });
});

describe('Routes: authentication and companies', () => {
  it('401 without a key or with a wrong one, with no hint which part failed', async () => {
    const none = await api.call('task-action', {
      method: 'POST',
      path: `/tasks/${task2}/start`,
      pathParameters: { taskId: String(task2) },
    });
    const wrong = await act(task2, 'start', 'not-a-real-key-123456');
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(none.json.detail).toBe(wrong.json.detail);
  });

  it('403 for a key without the scope', async () => {
    expect((await act(task2, 'start', KEYS.readOnly)).status).toBe(403);
  });

  it('a key for company 1 never acts on a task of company 2 (404, as if it did not exist)', async () => {
    const r = await act(task2, 'pause', KEYS.company1);
    expect(r.status).toBe(404);
    expect((await importInto(task2, { customers: [row(5)] }, KEYS.company1)).status).toBe(404);
    expect((await importInto(task2, { companyId: 2, customers: [row(5)] }, KEYS.company1)).status).toBe(404);
    const created = await postTask(
      api,
      { companyId: 2, taskName: 'x', userPhoneIds: [21], robotDefId: 111 },
      api.auth(KEYS.company1),
    );
    expect(created.status).toBe(403);
  });

  it('an import naming a company the app key does not manage is 404, not a 502 for the operator', async () => {
    // Found by the property test: the first (uncached) look-up asked byrobot for the task in the
    // named company, byrobot answered 403, and the caller's wrong claim became our credentials' fault.
    const created = await postTask(api, {
      companyId: 1,
      taskName: '声称公司',
      userPhoneIds: [11],
      robotDefId: 101,
    });
    const fresh = created.json.taskId as number;
    const r = await importInto(fresh, { companyId: 3, customers: [row(6)] }, KEYS.admin);
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect((await importInto(fresh, { companyId: 1, customers: [row(6)] }, KEYS.admin)).status).toBe(200);
  });
});

describe('Routes: Standard Webhooks signatures', () => {
  const body = JSON.stringify({ customers: [row(70)] });
  const send = (headers: Record<string, string>, raw = body) =>
    postWebhook(api, 'crm', varsTask, raw, headers);
  const signed = (secret: string, ts: number, raw = body, id = `msg_${Math.random()}`) => ({
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': signWebhook(secret, id, ts, raw),
  });
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a valid signature (the current secret, during rotation alongside the old one)', async () => {
    const first = await send(signed(WEBHOOK_SECRETS.current, now()));
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    const other = JSON.stringify({ customers: [row(71)] });
    expect((await send(signed(WEBHOOK_SECRETS.old, now(), other), other)).status).toBe(200);
  });

  it('accepts a header carrying several signatures when one matches', async () => {
    const h = signed(WEBHOOK_SECRETS.current, now(), JSON.stringify({ customers: [row(72)] }));
    h['webhook-signature'] = `v1,${Buffer.from('x'.repeat(32)).toString('base64')} ${h['webhook-signature']}`;
    expect((await send(h, JSON.stringify({ customers: [row(72)] }))).status).toBe(200);
  });

  it.each([
    ['a tampered body', () => send(signed(WEBHOOK_SECRETS.current, now()), body.replace('70', '79'))],
    ['a timestamp 301 s old', () => send(signed(WEBHOOK_SECRETS.current, now() - 301))],
    ['a timestamp 301 s ahead', () => send(signed(WEBHOOK_SECRETS.current, now() + 301))],
    ['a wrong secret', () => send(signed(WEBHOOK_SECRETS.other, now()))],
    ['no signature', () => send({})],
  ])('refuses %s with a bare 401', async (_name, attempt) => {
    const r = await attempt();
    expect(r.status).toBe(401);
    expect(r.json.detail).toBe('missing or invalid credentials');
  });
});

describe('Routes: rotating a webhook secret', () => {
  // One receiver per stage of a rotation, each a webhook source with its own secrets.
  let rot: ApiStack;
  let t: number;
  const sources = {
    'new-only': [WEBHOOK_SECRETS.current],
    'old-and-new': [WEBHOOK_SECRETS.old, WEBHOOK_SECRETS.current],
    'old-only': [WEBHOOK_SECRETS.old],
  } as const;
  let n = 0;
  beforeAll(async () => {
    rot = await startApiStack({
      sources: Object.entries(sources).map(([name, secrets]) => ({
        name,
        secrets: [...secrets],
        companies: [1],
        onMissingVariables: 'pass' as const,
      })),
    });
    t = simTask(rot, 'rotation');
  });
  afterAll(() => rot?.close());

  /** Posts one new row to `source`, signed with each of `signWith` (a space-separated header). */
  async function deliver(source: keyof typeof sources, signWith: string[]) {
    const phone = `1370000${String(++n).padStart(4, '0')}`;
    const raw = JSON.stringify({ customers: [{ name: `轮换${n}`, phone }] });
    const id = `msg_rotation_${n}`;
    const ts = Math.floor(Date.now() / 1000);
    const r = await postWebhook(rot, source, t, raw, {
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signWith.map((secret) => signWebhook(secret, id, ts, raw)).join(' '),
    });
    return { ...r, imported: rot.sim.sim.world().task(t).phones.has(phone) };
  }
  const { old, current } = WEBHOOK_SECRETS;

  it.each([
    ['a sender signing with old and new', 'new-only', [old, current], 200],
    ['a sender signing with new and old (order does not matter)', 'new-only', [current, old], 200],
    ['a sender signing with the new one only', 'new-only', [current], 200],
    ['a sender still on the retired one only', 'new-only', [old], 401],
    ['a sender signing with the old one only', 'old-and-new', [old], 200],
    ['a sender signing with the new one only', 'old-and-new', [current], 200],
    ['a sender signing with old and new', 'old-and-new', [old, current], 200],
    ['a sender signing with the old one only', 'old-only', [old], 200],
    ['a sender already on the new one only', 'old-only', [current], 401],
    ['a sender signing with old and new', 'old-only', [old, current], 200],
    ['a sender signing with someone else’s secret', 'old-and-new', [WEBHOOK_SECRETS.other], 401],
  ] as const)('%s, to a receiver knowing %s: %i', async (_name, source, signWith, status) => {
    const r = await deliver(source, [...signWith]);
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    // Accepted means imported; refused means byrobot never saw the row.
    expect(r.imported).toBe(status === 200);
    if (status === 401) expect(r.json.detail).toBe('missing or invalid credentials');
  });
});

describe('Routes: idempotency', () => {
  it('replays the first response for a retried key; refuses the key with another body', async () => {
    const key = { 'idempotency-key': `idem-${Date.now()}` };
    const first = await importInto(
      varsTask,
      { customers: [row(80, { properties: { 还款金额: '1' } })] },
      KEYS.admin,
      key,
    );
    const second = await importInto(
      varsTask,
      { customers: [row(80, { properties: { 还款金额: '1' } })] },
      KEYS.admin,
      key,
    );
    expect(second.status).toBe(first.status);
    expect(second.json).toEqual(first.json);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const other = await importInto(varsTask, { customers: [row(81)] }, KEYS.admin, key);
    expect(other.status).toBe(422);
    expect(other.json.detail).toMatch(/different request/);
  });

  it('a webhook retried with the same webhook-id is not imported twice', async () => {
    const id = `msg_retry_${Date.now()}`;
    const raw = JSON.stringify({ customers: [row(90, { properties: { 还款金额: '9' } })] });
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(WEBHOOK_SECRETS.current, id, ts, raw),
    };
    const path = {
      method: 'POST',
      path: `/webhooks/crm/tasks/${varsTask}/customers`,
      pathParameters: { source: 'crm', taskId: String(varsTask) },
      headers,
      body: raw,
    };
    const a = await api.call('webhook-customers', path);
    const b = await api.call('webhook-customers', path);
    expect(a.json).toEqual(b.json);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(
      api.sim.sim
        .world()
        .task(varsTask)
        .calls.filter((c) => c.phone === '13900000090'),
    ).toHaveLength(1);
  });
});

describe('Routes: malformed input is 4xx, never 5xx', () => {
  it.each([
    ['malformed JSON', { body: '{"customers": [', headers: {} }, 400],
    ['wrong content type', { body: '{"customers":[]}', headers: { 'content-type': 'text/plain' } }, 415],
    ['an unknown field', { body: { customers: [row(1)], colour: 'red' }, headers: {} }, 422],
    ['no customers', { body: { customers: [] }, headers: {} }, 422],
    [
      'an oversized body',
      { body: JSON.stringify({ customers: [{ name: 'x'.repeat(6_400_000), phone: '1' }] }), headers: {} },
      413,
    ],
  ])('%s', async (_name, input, status) => {
    const r = await importInto(task2, input.body, KEYS.admin, input.headers as Record<string, string>);
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.json).toMatchObject({ status, type: expect.stringContaining('/problems/') });
  });

  it('names the field and the rule', async () => {
    const r = await importInto(task2, { customers: [row(1)], colour: 'red' });
    expect(r.json.errors).toEqual([
      { field: 'body.colour', rule: 'unknown-field', message: 'unknown field "colour"' },
    ]);
  });

  const signedFor = (raw: string) => {
    const id = `msg_path_${Math.random()}`;
    const ts = Math.floor(Date.now() / 1000);
    return {
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(WEBHOOK_SECRETS.current, id, ts, raw),
    };
  };
  const rawRows = JSON.stringify({ customers: [row(60)] });
  /** Every route with a path parameter, called with `bad` in that parameter (authenticated, so only the parameter is wrong). */
  const withBad = {
    'task-action': (bad: string) => postAction(api, bad, 'start'),
    'import-customers': (bad: string) =>
      api.call('import-customers', {
        method: 'POST',
        path: `/tasks/${bad}/customers`,
        pathParameters: { taskId: bad },
        headers: api.auth(KEYS.admin),
        body: { customers: [row(60)] },
      }),
    'webhook-customers (taskId)': (bad: string) => postWebhook(api, 'crm', bad, rawRows, signedFor(rawRows)),
    'webhook-customers (source)': (bad: string) => postWebhook(api, bad, task1, rawRows, signedFor(rawRows)),
    'get-import': (bad: string) => getImport(api, bad),
    'get-call': (bad: string) =>
      api.call('get-call', {
        method: 'GET',
        path: `/calls/${bad}`,
        pathParameters: { callInstanceId: bad },
        headers: api.auth(KEYS.readOnly),
      }),
  };
  const field = {
    'task-action': 'path.taskId',
    'import-customers': 'path.taskId',
    'webhook-customers (taskId)': 'path.taskId',
    'webhook-customers (source)': 'path.source',
    'get-import': 'path.importId',
    'get-call': 'path.callInstanceId',
  } as const;
  const badValues: Record<keyof typeof withBad, string[]> = {
    'task-action': ['abc', '0', '-1', '1.5', '1e3', '9'.repeat(20), '%20'],
    'import-customers': ['abc', '0', '-1', '1.5', '9'.repeat(20)],
    'webhook-customers (taskId)': ['abc', '0', '1.5', '9'.repeat(20)],
    'webhook-customers (source)': ['CRM', '-crm', 'crm/../x', 'c'.repeat(64), '%00'],
    'get-import': ['nope', 'imp_', 'imp_ZZZZZZ0123456789abcdef0123', `imp_${'a'.repeat(40)}`],
    'get-call': ['abc', '0', '-5', '9'.repeat(20)],
  };

  it.each(
    Object.entries(badValues).flatMap(([route, values]) =>
      values.map((bad) => [route as keyof typeof withBad, bad] as const),
    ),
  )('a bad path parameter on %s (%j) is 400 naming the field', async (route, bad) => {
    const before = api.sim.sim.stats().total;
    const r = await withBad[route](bad);
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.json).toMatchObject({ status: 400, type: expect.stringContaining('/problems/bad-request') });
    expect(r.json.errors).toEqual([expect.objectContaining({ field: field[route], rule: 'format' })]);
    // Refused before byrobot was asked anything.
    expect(api.sim.sim.stats().total).toBe(before);
  });

  it.each([
    [{ breakStartTime: '13:00', breakEndTime: '12:00' }, 'body.breakEndTime', 'rule'],
    [{ workingStartTime: '9:00' }, 'body.workingStartTime', 'format'],
    [{ workingEndTime: '09:30', workingStartTime: '10:00' }, 'body.workingEndTime', 'rule'],
    [{ taskType: 1 }, 'body.startDate', 'rule'],
    [{ taskType: 3 }, 'body.taskType', 'enum'],
    [{ robotDefId: undefined }, 'body.robotDefId', 'required'],
    [{ userPhoneIds: [] }, 'body.userPhoneIds', 'min-length'],
    [{ callType: 4 }, 'body.callType', 'enum'],
    [
      { repeatCall: true, repeatCallRule: [{ phoneStatus: 0, times: 1, interval: 5 }] },
      'body.repeatCallRule.0.phoneStatus',
      'enum',
    ],
  ])('POST /tasks refuses %j before calling byrobot (%s, %s)', async (patch, field, rule) => {
    const before = api.sim.sim.stats().byEndpoint['v1/task/createTask'] ?? 0;
    const r = await postTask(api, {
      companyId: 1,
      taskName: 'v',
      userPhoneIds: [11],
      robotDefId: 101,
      ...patch,
    });
    expect(r.status).toBe(422);
    expect(r.json.errors?.[0]).toMatchObject({ field, rule });
    expect(api.sim.sim.stats().byEndpoint['v1/task/createTask'] ?? 0).toBe(before);
  });
});

describe('Routes: byrobot’s errors and faults map to honest statuses', () => {
  it('unknown task → 404', async () => {
    expect((await act(987_654, 'start')).status).toBe(404);
  });

  it.each([
    ['http5xx', 503],
    ['html', 503],
    ['code500', 503],
    ['http429', 503],
    // A body cut short is transport trouble: retry later (issue 14).
    ['malformedJson', 503],
    ['code401', 502],
    ['code408', 502],
  ] as const)('%s → %i, no internals', async (kind, status) => {
    api.sim.sim.addFault({ kind, endpoint: 'task/pause' });
    const r = await act(task2, 'pause');
    expect(r.status).toBe(status);
    if (status === 503) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.stringify(r.json)).not.toMatch(/stack|at .*\.ts|demo-secret/);
  });

  it('byrobot 403 (the app key does not manage the company) → 502 telling the operator what to check', async () => {
    // A company byrobot knows, refused on the action: the bridge's app key lacks the permission.
    // (A company byrobot does not know at all is the caller's mistake: test/api/create-task-company.)
    api.sim.sim.addFault({ kind: 'code403', endpoint: 'task/pause' });
    const r = await act(task2, 'pause');
    expect(r.status).toBe(502);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.json).toMatchObject({ type: expect.stringContaining('/problems/byrobot-refused') });
    expect(r.json.detail).toMatch(/code 403/);
    expect(r.json.detail).toMatch(/operator must check which companies the byrobot app key manages/);
    expect(r.headers['retry-after']).toBeUndefined();
    expect(JSON.stringify(r.json)).not.toMatch(/demo-secret|demo-key|stack|at .*\.ts/);
  });

  it.each([
    ['code401', /credentials \(code 401\): the operator must check the byrobot app key/],
    ['code408', /request time \(code 408\): the operator must sync the server clock/],
  ] as const)('%s → 502 with an operator-facing message', async (kind, message) => {
    api.sim.sim.addFault({ kind, endpoint: 'task/pause' });
    const r = await act(task2, 'pause');
    expect(r.status).toBe(502);
    expect(r.json.detail).toMatch(message);
  });

  it('rows missing a script variable: reported as warnings and counted by byrobot, or refused on request', async () => {
    const pass = await importInto(varsTask, {
      customers: [row(100), row(101, { properties: { 还款金额: '5' } })],
    });
    expect(pass.json).toMatchObject({
      counts: { valid: 2, imported: 1, variableFailures: 1 },
      warnings: [{ index: 0, field: 'properties.还款金额' }],
    });
    const reject = await importInto(varsTask, {
      customers: [row(102), row(103, { properties: { 还款金额: '5' } })],
      onMissingVariables: 'reject',
    });
    expect(reject.json).toMatchObject({
      counts: { valid: 1, invalid: 1, imported: 1 },
      invalid: [{ index: 0, rule: 'required-variable' }],
    });
  });
});

describe('Routes: a CRM’s own payload through its field mapping', () => {
  it('maps records, properties and the CRM id, and reports a record without a phone by index', async () => {
    const source = {
      name: 'hubspot',
      secrets: [WEBHOOK_SECRETS.current],
      companies: [1],
      onMissingVariables: 'pass' as const,
      mapping: {
        list: 'data.leads',
        name: 'contact.name',
        phone: ['contact.mobile', 'contact.phone'],
        properties: { crmId: 'id' },
        constants: {},
      },
    };
    const mapped = await startApiStack({ sources: [source] });
    try {
      const t = simTask(mapped, 'm');
      const raw = JSON.stringify({
        event: 'lead.created',
        data: {
          leads: [
            { id: 42, contact: { name: '张三', mobile: '13800138000' } },
            { id: 43, contact: { name: '李四', phone: '010-12345678' } },
            { id: 44, contact: { name: '无号' } },
          ],
        },
      });
      const ts = Math.floor(Date.now() / 1000);
      const r = await postWebhook(mapped, 'hubspot', t, raw, {
        'webhook-id': 'msg_map',
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(WEBHOOK_SECRETS.current, 'msg_map', ts, raw),
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        counts: { received: 3, valid: 2, invalid: 1, imported: 2 },
        invalid: [{ index: 2, field: 'phone', rule: 'required' }],
      });
      const calls = mapped.sim.sim.world().task(t).calls;
      expect(calls.map((c) => [c.phone, c.properties.crmId])).toEqual([
        ['13800138000', '42'],
        ['01012345678', '43'],
      ]);
    } finally {
      await mapped.close();
    }
  });
});
