import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/run.ts';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import type { ByrobotClient, ByrobotClientOptions } from '../../shared/byrobot/index.ts';
import { DETAIL_TYPES } from '../../shared/events/builders.ts';
import { captureIo } from '../cli/support.ts';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';
import { createDemoTask, customers } from '../support/demo-task.ts';
import { type LocalStack, startLocalStack } from '../support/local-stack.ts';
import { simClient } from '../support/sim-client.ts';

/*
 * The simulator as an adversary (issue 11): faults that strike after byrobot did the work, null
 * counts, slow pages, the POST-only notDialed form, deleted tasks. Each asserts the honest outcome
 * through the client, and where it matters through the HTTP API, the CLI and the poller: the right
 * counts, nothing imported twice, nothing reported refused that landed.
 *
 * "byrobot answering 12 s after doing the work" is `lateAnswer` with latencyMs 12000 against a
 * client whose import timeout is shorter (a client with the old 10 s limit): the client gives up,
 * the simulator stops waiting when the socket closes, so no test waits 12 s.
 */

const LATE = {
  kind: 'lateAnswer',
  endpoint: 'task/importTaskCustomer',
  latencyMs: 12_000,
  times: 1,
} as const;
const rows = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({
    name: `客户${i + offset}`,
    phone: `1380013${String(i + offset).padStart(4, '0')}`,
  }));

describe('Client × adversary simulator', () => {
  let server: RunningSimulator;
  const client = (options: Partial<ByrobotClientOptions> = {}) =>
    simClient(server, {
      timeoutMs: 2000,
      importTimeoutMs: 300,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      ...options,
    });
  const imports = () => server.sim.stats().byEndpoint['v2/task/importTaskCustomer'] ?? 0;
  const newTask = (byrobot: ByrobotClient, name: string) =>
    byrobot.createTask({ companyId: 1, taskName: name, taskType: 2, userPhoneIds: [11], robotDefId: 101 });
  /** A client and a new task of that name holding `customers` rows, before any fault is set. */
  const taskOf = async (name: string, customers = 0, options: Partial<ByrobotClientOptions> = {}) => {
    const byrobot = client(options);
    const taskId = await newTask(byrobot, name);
    if (customers > 0) await byrobot.importCustomers({ companyId: 1, taskId, customers: rows(customers) });
    return { byrobot, taskId };
  };

  beforeAll(async () => {
    server = await startSimulator({ seed: 13 });
  });
  afterEach(() => server.sim.clearFaults());
  afterAll(() => server.close());

  it('lateAnswer on an import: all 20 rows reported imported, none as repeats, none twice', async () => {
    const { byrobot, taskId } = await taskOf('慢导入');
    server.sim.addFault(LATE);
    const before = imports();
    const summary = await byrobot.importCustomers({ companyId: 1, taskId, customers: rows(20) });
    expect(summary).toMatchObject({ successNum: 20, repeatNum: 0, settledByTaskCount: 1, unsettled: 0 });
    expect(imports() - before).toBe(2); // the lost attempt and its retry
    expect(server.sim.world().tasks.get(taskId)!.counts.total).toBe(20);
  });

  it('lateAnswer when some rows were already in the task: those stay repeats', async () => {
    const { byrobot, taskId } = await taskOf('慢导入-重复', 5);
    server.sim.addFault(LATE);
    const summary = await byrobot.importCustomers({ companyId: 1, taskId, customers: rows(20) });
    expect(summary).toMatchObject({ successNum: 15, repeatNum: 5, settledByTaskCount: 1 });
  });

  it('a slow import within the import timeout is simply waited for (the default is minutes)', async () => {
    const { byrobot, taskId } = await taskOf('慢但等得到', 0, { importTimeoutMs: 5000, timeoutMs: 50 });
    server.sim.addFault({ ...LATE, latencyMs: 200 });
    const summary = await byrobot.importCustomers({ companyId: 1, taskId, customers: rows(3) });
    expect(summary).toMatchObject({ successNum: 3, repeatNum: 0, settledByTaskCount: 0 });
  });

  it('dropAfterWork on an import: the rows landed, counted once', async () => {
    const { byrobot, taskId } = await taskOf('断开');
    server.sim.addFault({ kind: 'dropAfterWork', endpoint: 'task/importTaskCustomer', times: 1 });
    const summary = await byrobot.importCustomers({ companyId: 1, taskId, customers: rows(7) });
    expect(summary).toMatchObject({ successNum: 7, repeatNum: 0, settledByTaskCount: 1 });
  });

  it('dropAfterWork on every attempt of an import: the count shows the batch landed, so it is a success', async () => {
    const { byrobot, taskId } = await taskOf('一直断开', 0, {
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    server.sim.addFault({ kind: 'dropAfterWork', endpoint: 'task/importTaskCustomer' });
    const summary = await byrobot.importCustomers({ companyId: 1, taskId, customers: rows(4) });
    expect(summary).toMatchObject({ successNum: 4, repeatNum: 0 });
  });

  it('dropAfterWork on start: the refused retry is settled by the task’s status when the company is known', async () => {
    const { byrobot, taskId } = await taskOf('启动断开', 2);
    server.sim.addFault({ kind: 'dropAfterWork', endpoint: 'task/start', times: 1 });
    await expect(byrobot.start(taskId, { companyId: 1 })).resolves.toMatch(/earlier attempt did it/);
    const other = await newTask(byrobot, '启动断开2');
    await byrobot.importCustomers({ companyId: 1, taskId: other, customers: rows(2, 50) });
    server.sim.addFault({ kind: 'dropAfterWork', endpoint: 'task/start', times: 1 });
    // Without the company the refusal stands, marked as coming after a lost answer.
    await expect(byrobot.start(other)).rejects.toMatchObject({ code: 412, afterLostAnswer: true });
  });

  it('dropAfterWork on createTask: the task that was made is returned, not a second one', async () => {
    const byrobot = client();
    const before = server.sim.world().tasks.size;
    server.sim.addFault({ kind: 'dropAfterWork', endpoint: 'task/createTask', times: 1 });
    const taskId = await newTask(byrobot, '创建断开');
    expect(server.sim.world().tasks.size).toBe(before + 1);
    expect(server.sim.world().tasks.get(taskId)?.name).toBe('创建断开');
  });

  it('dropAfterWork on delete: the retry’s 404 means the first attempt deleted it', async () => {
    const { byrobot, taskId } = await taskOf('删除断开');
    server.sim.addFault({ kind: 'dropAfterWork', endpoint: 'task/delete', times: 1 });
    await expect(byrobot.delete(taskId)).resolves.toMatch(/earlier attempt/);
  });

  it('postOnlyNotDialed: the client switches to POST and pages through all 100 rows without totals', async () => {
    const { byrobot, taskId } = await taskOf('未拨打POST', 100);
    server.sim.addFault({ kind: 'postOnlyNotDialed' });
    const seen: string[] = [];
    for await (const c of byrobot.notDialedCustomers(taskId)) seen.push(c.customer.phone ?? '');
    expect(seen).toHaveLength(100);
    expect(new Set(seen).size).toBe(100);
    expect(byrobot.notDialedForm).toBe('POST');
    const [first] = (await byrobot.notDialedCustomerList({ taskId, pageSize: 1 })).items;
    expect(first).toMatchObject({ corpName: '百应演示科技有限公司', calledTimes: 0 });
  });

  it('slowPages: only pages after the first are slow; a timeout on one is retried and the walk completes', async () => {
    const { byrobot, taskId } = await taskOf('慢分页', 60, { timeoutMs: 150 });
    server.sim.addFault({
      kind: 'slowPages',
      endpoint: 'task/notDialedCustomerList',
      latencyMs: 400,
      times: 1,
    });
    let n = 0;
    for await (const _ of byrobot.notDialedCustomers(taskId)) n++;
    expect(n).toBe(60);
  });

  it('nullCounts: getTasks lists null counts, getTaskDetail still has them', async () => {
    const { byrobot, taskId } = await taskOf('空计数', 3);
    server.sim.addFault({ kind: 'nullCounts', endpoint: 'task/getTasks' });
    const listed = (await byrobot.getTasks({ companyId: 1, pageSize: 100 })).items.find(
      (t) => t.taskId === taskId,
    )!;
    expect(listed.counts.total).toBeNull();
    expect((await byrobot.getTaskDetail({ companyId: 1, taskId })).counts.total).toBe(3);
  });
});

describe('HTTP API × adversary simulator', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await startApiStack({ client: { importTimeoutMs: 300 } });
  });
  afterEach(() => api.sim.sim.clearFaults());
  afterAll(() => api?.close());

  const createTask = (body: Record<string, unknown>) =>
    api.call('create-task', { method: 'POST', path: '/tasks', headers: api.auth(KEYS.admin), body });

  it('the seed’s createTask body (the simulator’s ids) creates a task, with a warning for 08:00–22:00', async () => {
    const r = await createTask({
      companyId: 1,
      taskName: '测试任务',
      taskType: 2,
      startDate: '2017-10-19',
      workingStartTime: '08:00',
      workingEndTime: '22:00',
      userPhoneIds: [11],
      robotDefId: 101,
      sceneDefId: 201,
      sceneRecordId: 301,
      remark: '创建任务',
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.warnings).toEqual([expect.stringContaining('09:00-20:00')]);
    const task = api.sim.sim.world().tasks.get(r.json.taskId as number)!;
    expect(task).toMatchObject({ callType: 1, workingStartTime: '08:00:00', workingEndTime: '22:00:00' });
  });

  it('passes byrobot’s documented extra fields through, type-checked', async () => {
    const body = {
      companyId: 1,
      taskName: '短信任务',
      userPhoneIds: [13],
      robotDefId: 101,
      smsType: 1,
      smsSendLevel: ['A级(有明确意向)', 'B级(可能有意向)'],
      smsTemplateId: 4198,
      defaultIntentionRule: true,
      openElasticity: false,
      phoneNum: 1,
      breakStartTime: '12:00',
      breakEndTime: '13:00',
    };
    const ok = await createTask(body);
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    expect(api.sim.sim.world().tasks.get(ok.json.taskId as number)?.callType).toBe(0); // line 13 is mobile
    const bad = await createTask({ ...body, smsSendLevel: ['A'], smsType: 'yes' });
    expect(bad.status).toBe(422);
    expect(bad.json.errors?.map((e) => e.field).sort()).toEqual(['body.smsSendLevel.0', 'body.smsType']);
  });

  it('lines of two types and no callType: 400 naming body.callType, nothing created', async () => {
    const before = api.sim.sim.world().tasks.size;
    const r = await createTask({ companyId: 1, taskName: '混合', userPhoneIds: [11, 13], robotDefId: 101 });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([expect.objectContaining({ field: 'body.callType' })]);
    expect(api.sim.sim.world().tasks.size).toBe(before);
  });

  it('a slow import (answer 12 s after the work) reports the true counts', async () => {
    const created = await createTask({
      companyId: 1,
      taskName: '慢导入API',
      userPhoneIds: [11],
      robotDefId: 101,
    });
    const taskId = created.json.taskId as number;
    api.sim.sim.addFault(LATE);
    const r = await api.call('import-customers', {
      method: 'POST',
      path: `/tasks/${taskId}/customers`,
      pathParameters: { taskId: String(taskId) },
      headers: api.auth(KEYS.admin),
      body: { customers: rows(20) },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.counts).toMatchObject({ imported: 20, repeats: 0 });
  });

  it('byrobot’s truncated JSON is 503 with Retry-After, not a permanent 502', async () => {
    api.sim.sim.addFault({ kind: 'malformedJson', endpoint: 'task/getTaskDetail' });
    const r = await api.call('task-action', {
      method: 'POST',
      path: '/tasks/999/start',
      pathParameters: { taskId: '999' },
      headers: api.auth(KEYS.admin),
    });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toMatch(/^\d+$/);
  });
});

describe('CLI × adversary simulator', () => {
  let server: RunningSimulator;
  beforeAll(async () => {
    server = await startSimulator({ seed: 17 });
  });
  afterEach(() => server.sim.clearFaults());
  afterAll(() => server.close());
  async function cli(...argv: string[]) {
    const io = captureIo({
      BYROBOT_BASE_URL: server.url,
      BYROBOT_APP_KEY: 'demo-key',
      BYROBOT_APP_SECRET: 'demo-secret',
      BYROBOT_IMPORT_TIMEOUT_MS: '300',
    });
    const code = await run(argv, io);
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  }
  /** `tasks create` of a task named so, on robot 101 and line 11: its arguments. */
  const createArgs = (name: string) =>
    ['tasks', 'create', '--company', '1', '--name', name, '--robot', '101', '--phones', '11'] as const;

  it('tasks create with the seed’s hours: created, with a warning line; --dry-run creates nothing', async () => {
    const args = createArgs('测试任务');
    const before = server.sim.world().tasks.size;
    const dry = await cli(...args, '--hours', '08:00-22:00', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ callType: 1, workingStartTime: '08:00' });
    expect(server.sim.world().tasks.size).toBe(before);
    const made = await cli(
      ...args,
      '--hours',
      '08:00-22:00',
      '--start-date',
      '2017-10-19',
      '--remark',
      '创建任务',
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toMatch(/warning: working hours 08:00-22:00 reach outside/);
    expect(server.sim.world().tasks.get(Number(made.stdout.trim()))?.workingEndTime).toBe('22:00:00');
  });

  it('customers import with byrobot answering 12 s after the work: true counts, exit 0', async () => {
    const made = await cli(...createArgs('慢导入CLI'));
    const taskId = made.stdout.trim();
    const file = join(tmpdir(), `slow-import-${process.pid}.json`);
    await writeFile(file, JSON.stringify(rows(20)));
    server.sim.addFault(LATE);
    const result = await cli('customers', 'import', taskId, '--company', '1', file, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).byrobot).toMatchObject({
      successNum: 20,
      repeatNum: 0,
      settledByTaskCount: 1,
    });
  });

  it('tasks delete: gone from tasks list, still under --all', async () => {
    const made = await cli(...createArgs('删除我'));
    const taskId = Number(made.stdout.trim());
    expect((await cli('tasks', 'delete', String(taskId))).stdout).toBe(`task ${taskId}: 删除成功\n`);
    const listed = async (...extra: string[]) =>
      (
        JSON.parse((await cli('tasks', 'list', '--company', '1', '--json', ...extra)).stdout) as Array<{
          taskId: number;
        }>
      ).map((t) => t.taskId);
    expect(await listed()).not.toContain(taskId);
    expect(await listed('--all')).toContain(taskId);
  });
});

describe('Poller × adversary simulator', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ seed: 19 });
  });
  afterEach(() => stack.clearFaults());
  afterAll(() => stack?.close());

  it('nullCounts: the poller reads getTaskDetail and announces every call once', async () => {
    await stack.poll(1); // the company's first cycle: a baseline
    const { taskId, variables } = await createDemoTask(stack, '空计数轮询');
    await stack.byrobot.importCustomers({ companyId: 1, taskId, customers: customers(4, variables) });
    await stack.fault({ kind: 'nullCounts', endpoint: 'task/getTasks' });
    await stack.byrobot.start(taskId);
    for (let i = 0; i < 20 && (await stack.simTask(taskId)).status !== 2; i++) {
      await stack.advance(120);
      expect((await stack.poll(1)).failures).toEqual([]);
    }
    await stack.poll(1);
    const calls = stack
      .details<{ taskId: number; callInstanceId: number }>(DETAIL_TYPES.callCompleted)
      .filter((d) => d.taskId === taskId);
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => c.callInstanceId)).size).toBe(4);
    expect(stack.details(DETAIL_TYPES.taskCompleted).filter((d) => d.taskId === taskId)).toHaveLength(1);
  });

  it('a deleted task is retired once with a status change to -1 deleted, then left alone', async () => {
    await stack.poll(1);
    const { taskId } = await createDemoTask(stack, '轮询删除');
    await stack.poll(1);
    expect((await stack.store.loadSnapshots(1)).get(taskId)?.closed).toBe(false);
    await stack.byrobot.delete(taskId);
    const cycle = await stack.poll(1);
    expect(cycle.failures).toEqual([]);
    const changes = () =>
      stack
        .details<{ taskId: number; status: { code: number; label: string } }>(DETAIL_TYPES.taskStatusChanged)
        .filter((d) => d.taskId === taskId && d.status.code === -1);
    expect(changes()).toEqual([expect.objectContaining({ status: { code: -1, label: 'deleted' } })]);
    expect((await stack.store.loadSnapshots(1)).get(taskId)).toMatchObject({ closed: true, status: -1 });
    await stack.poll(1);
    expect(changes()).toHaveLength(1);
  });
});
