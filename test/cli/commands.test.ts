import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/run.ts';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import { captureIo, runCli } from './support.ts';

/*
 * Every command against the byrobot simulator over real HTTP, in-process through run(). The
 * simulator's clock stands still (speed 0) and moves only when a test advances it, so calls are
 * dialled exactly when a test says so, and its seed fixes their outcomes.
 */

let simulator: RunningSimulator;
let dir: string;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, seed: 7, speed: 0 });
  dir = await mkdtemp(join(tmpdir(), 'byrobot-cli-'));
});

afterAll(async () => {
  await simulator?.close();
});

function env(): Record<string, string> {
  return { BYROBOT_BASE_URL: simulator.url, BYROBOT_APP_KEY: 'demo-key', BYROBOT_APP_SECRET: 'demo-secret' };
}

const cli = (...argv: string[]) => runCli(argv, env());

async function cliJson<T = unknown>(...argv: string[]): Promise<T> {
  const result = await cli(...argv, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** `tasks create` on company 1 with this name and the other arguments. */
function createArgs(name: string, ...argv: string[]): string[] {
  return ['tasks', 'create', '--company', '1', '--name', name, ...argv];
}

/** A manual task on company 1 with robot 102 (scene variable 还款金额) on two landlines. */
async function createTask(name: string): Promise<number> {
  const result = await cli(...createArgs(name, '--robot', '102', '--phones', '11,12', '--concurrency', '3'));
  expect(result.code, result.stderr).toBe(0);
  return Number(result.stdout.trim());
}

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('CLI against the simulator: account reads', () => {
  it('lists companies as a table and as JSON', async () => {
    // Act
    const text = await cli('companies');
    const json = await cliJson<Array<{ companyId: number; companyName: string }>>('companies');

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ID {2}NAME\n/);
    expect(text.stdout).toContain(' 1  百应演示科技有限公司');
    expect(json).toEqual([
      { companyId: 1, companyName: '百应演示科技有限公司' },
      { companyId: 2, companyName: '杭州示例贸易有限公司' },
    ]);
  });

  it('lists robots with one line per recording', async () => {
    // Act
    const { code, stdout } = await cli('robots', '--company', '1');
    const json = await cliJson<Array<{ robotDefId: number; sceneRecords: unknown[] }>>(
      'robots',
      '--company',
      '1',
    );

    // Assess
    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}101 {2}新客回访机器人 +201 +301 {2}新客回访\(女声\)$/),
        expect.stringMatching(/^ +302 {2}新客回访\(男声\)$/),
      ]),
    );
    expect(json.map((r) => r.robotDefId)).toEqual([101, 102]);
    expect(json[0]!.sceneRecords).toHaveLength(2);
  });

  it('lists caller lines, unavailable ones included', async () => {
    // Act
    const { code, stdout } = await cli('phones', '--company', '1');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/14 {2}02180009999 {2}停用线路 +landline {2}no/);
    expect(stdout).toMatch(/13 {2}13900001111 {2}手机线路 +mobile {4}yes/);
  });

  it('prints byrobot’s 403 for a company the key does not manage', async () => {
    // Act
    const { code, stderr } = await cli('phones', '--company', '99');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('byrobot error 403: ');
    expect(stderr).toContain('hint: byrobot denied permission');
  });
});

describe('CLI against the simulator: creating tasks', () => {
  it('creates a task with the robot’s scene and first recording and prints only its id', async () => {
    // Act
    const { code, stdout, stderr } = await cli(
      ...createArgs(
        '新客回访',
        '--robot',
        '101',
        '--phones',
        '13',
        '--hours',
        '09:30-18:00',
        '--remark',
        'from the CLI',
      ),
    );

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\n$/);
    expect(stderr).toContain('(robot 101, scene 201, recording 301)');
    const shown = await cliJson<{
      workingStartTime: string;
      sceneDefId: number;
      remark: string;
      type: { code: number };
    }>('tasks', 'show', stdout.trim(), '--company', '1');
    expect(shown).toMatchObject({
      workingStartTime: '09:30:00',
      sceneDefId: 201,
      remark: 'from the CLI',
      type: { code: 2 },
    });
  });

  it('sends a scheduled task with a redial rule and the lines’ call type', async () => {
    // Act
    const created = await cliJson<{ taskId: number; request: Record<string, unknown> }>(
      ...createArgs(
        '定时',
        '--robot',
        '101',
        '--phones',
        '13',
        '--record',
        '302',
        '--type',
        'scheduled',
        '--start-date',
        '2026-11-24',
        '--redial-on',
        '2,6',
        '--redial-times',
        '2',
      ),
    );

    // Assess
    expect(created.taskId).toBeGreaterThan(0);
    expect(created.request).toMatchObject({
      taskType: 1,
      startDate: '2026-11-24',
      sceneDefId: 201,
      sceneRecordId: 302,
      callType: 0,
      repeatCall: true,
      repeatCallRule: [
        { phoneStatus: 2, times: 2, interval: 30 },
        { phoneStatus: 6, times: 2, interval: 30 },
      ],
    });
  });

  it('warns about an unavailable caller line and still creates the task', async () => {
    // Act
    const { code, stderr } = await cli(...createArgs('x', '--robot', '101', '--phones', '11,14'));

    // Assess
    expect(code).toBe(0);
    expect(stderr).toContain('warning: caller line 14 marked unavailable');
  });

  it.each([
    [['--robot', '999', '--phones', '11'], "robot 999 is not one of company 1's robots"],
    [['--robot', '101', '--phones', '11,77'], "caller line 77 is not one of company 1's lines"],
  ])('refuses %j with its own explanation (exit 1)', async (extra, message) => {
    // Act
    const { code, stderr } = await cli(...createArgs('x', ...extra));

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(message);
  });

  it('prints byrobot’s refusal of a parameter it checks itself (concurrency over the seats)', async () => {
    // Act
    const { code, stderr } = await cli(
      ...createArgs('x', '--robot', '101', '--phones', '11', '--concurrency', '99'),
    );

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/^byrobot error 412: /);
  });
});

describe('CLI against the simulator: a task’s life', () => {
  let taskId: number;

  beforeAll(async () => {
    taskId = await createTask('还款提醒 11月');
  });

  it('imports a CSV with a BOM, a quoted comma, invalid and duplicate rows, and exits 2', async () => {
    // Prepare
    const path = await file(
      'customers.csv',
      '\uFEFF姓名,手机号,还款金额,地址\r\n' +
        '张三,13900002001,888,"杭州市, 西湖区"\r\n' +
        '李四,13900002002,500,上海\r\n' +
        '王五,12345,100,北京\r\n' +
        '赵六,13900002001,200,重复\r\n' +
        '"钱""七""",13900002003,,缺变量\r\n',
    );

    // Act
    const { code, stdout, stderr } = await cli('customers', 'import', String(taskId), '--company', '1', path);

    // Assess
    expect(code, stderr).toBe(2);
    expect(stdout).toMatch(/received +5\n/);
    expect(stdout).toMatch(/valid +3\n/);
    expect(stdout).toMatch(/duplicates +1\n/);
    expect(stdout).toMatch(/invalid +1\n/);
    expect(stdout).toMatch(/success +2\n/);
    expect(stdout).toMatch(/variable failures +1\n/);
    expect(stdout).toMatch(/line 4 +\*+45 +phone +phone-format/);
    expect(stdout).toMatch(
      /Rows sent with a missing variable\n[^\n]+\n[^\n]+\nline 6 +139\*{4}2003 +properties\.还款金额/,
    );
    expect(stdout).toMatch(/line 5 +139\*+2001 +phone +duplicate +same phone as line 2/);
    expect(stdout).not.toContain('13900002001');
    expect(stderr).toMatch(/importing 3\/3 rows {2}request 1\/1/);
  });

  it('rejects rows missing a scene variable when asked, and reports them as JSON', async () => {
    // Prepare
    const path = await file(
      'more.json',
      JSON.stringify({
        customers: [
          { name: '孙八', phone: '13900002004', properties: { 还款金额: 300, crmId: 'LEAD-8' } },
          { name: '周九', phone: '13900002005' },
          { name: '张三', phone: '13900002001', properties: { 还款金额: '888' } },
        ],
      }),
    );

    // Act
    const result = await cli(
      'customers',
      'import',
      String(taskId),
      path,
      '--company',
      '1',
      '--missing-variables',
      'reject',
      '--json',
    );

    // Assess
    expect(result.code, result.stderr).toBe(2);
    const report = JSON.parse(result.stdout) as {
      counts: Record<string, number>;
      byrobot: { successNum: number; repeatNum: number };
      rows: Array<{ row: string; field: string }>;
    };
    expect(report.counts).toEqual({ received: 3, valid: 2, duplicates: 0, invalid: 1 });
    // 张三 is already in the task from the CSV: byrobot counts a repeat, not a failure.
    expect(report.byrobot).toMatchObject({ successNum: 1, repeatNum: 1 });
    expect(report.rows).toEqual([expect.objectContaining({ row: 'customers[1]' })]);
  });

  it('lists the customers not dialled yet, masked on request', async () => {
    // Act
    const { code, stdout } = await cli('customers', 'pending', String(taskId), '--mask');
    const json = await cliJson<Array<{ customer: { name: string; phone: string } }>>(
      'customers',
      'pending',
      String(taskId),
      '--limit',
      '2',
    );

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('139****2001');
    expect(stdout).not.toContain('13900002001');
    expect(json).toHaveLength(2);
    expect(json[0]!.customer.phone).toMatch(/^139000020\d\d$/);
  });

  it('starts the task; after the clock runs every call is listed, filtered and shown', async () => {
    // Act
    const started = await cli('tasks', 'start', String(taskId));
    simulator.sim.advance(900);
    const list = await cli('calls', 'list', String(taskId));
    const calls = await cliJson<
      Array<{ callInstanceId: number; finishStatus: { code: number }; intentLevel: string }>
    >('calls', 'list', String(taskId));

    // Assess
    expect(started).toMatchObject({ code: 0, stdout: `task ${taskId}: 启动成功\n` });
    expect(calls).toHaveLength(3);
    expect(list.stdout).toMatch(/^ *CALL {2}CUSTOMER {2}PHONE +RESULT/);
    expect(list.stdout).toContain('孙八');
    const answered = calls.filter((c) => c.finishStatus.code === 0);
    const filtered = await cliJson<unknown[]>('calls', 'list', String(taskId), '--finish-status', 'answered');
    expect(filtered).toHaveLength(answered.length);
    const letters = [...new Set(calls.map((c) => c.intentLevel))];
    const byIntent = await cliJson<Array<{ intentLevel: string }>>(
      'calls',
      'list',
      String(taskId),
      '--intent',
      letters[0]!,
    );
    expect(byIntent.length).toBeGreaterThan(0);
    expect(byIntent.every((c) => c.intentLevel === letters[0])).toBe(true);
  });

  it('masks phones in calls list when asked', async () => {
    // Act
    const { stdout } = await cli('calls', 'list', String(taskId), '--mask');

    // Assess
    expect(stdout).toMatch(/139\*{4}200\d/);
    expect(stdout).not.toMatch(/139000020\d\d/);
  });

  it('shows a call with the import properties, the quoted comma intact', async () => {
    // Prepare
    const calls = await cliJson<Array<{ callInstanceId: number; customer: { name: string } }>>(
      'calls',
      'list',
      String(taskId),
    );
    const zhang = calls.find((c) => c.customer.name === '张三')!;

    // Act
    const { code, stdout } = await cli('calls', 'show', String(zhang.callInstanceId), '--mask');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Call ${zhang.callInstanceId} {2}张三 {2}139\\*{4}2001\n`));
    expect(stdout).toMatch(/\nProperties\n还款金额 +888\n地址 +杭州市, 西湖区\n/);
  });

  it('shows an answered call’s transcript as AI and 客户 lines with offsets', async () => {
    // Prepare: the seed gives this task at least one answered call
    const answered = await cliJson<Array<{ callInstanceId: number }>>(
      'calls',
      'list',
      String(taskId),
      '--finish-status',
      '0',
      '--min-duration',
      '1',
      '--limit',
      '1',
    );
    expect(answered).toHaveLength(1);
    const callId = String(answered[0]!.callInstanceId);

    // Act
    const { code, stdout } = await cli('calls', 'show', callId);
    const json = await cliJson<{ transcript: Array<{ role: string }>; analysis: unknown[] }>(
      'calls',
      'show',
      callId,
    );

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/\nTranscript\n\[00:00\.0\] AI: .+\n\[\d\d:\d\d\.\d\] 客户: /);
    expect(stdout).toMatch(/\nAnalysis\n/);
    expect(json.transcript.map((t) => t.role)).toContain('customer');
    expect(json.analysis.length).toBeGreaterThan(0);
  });

  it('shows the task’s final counts and histograms', async () => {
    // Act
    const { code, stdout } = await cli('tasks', 'show', String(taskId), '--company', '1');
    const detail = await cliJson<{ status: { code: number }; counts: { total: number; done: number } }>(
      'tasks',
      'show',
      String(taskId),
      '--company',
      '1',
    );

    // Assess
    expect(code).toBe(0);
    expect(detail.status.code).toBe(2);
    expect(detail.counts).toMatchObject({ total: 3, done: 3 });
    expect(stdout).toContain('status        completed (2)');
    expect(stdout).toContain('Call duration');
    expect(stdout).toContain('Results: 客户意向等级');
    const pending = await cli('customers', 'pending', String(taskId));
    expect(pending.stdout).toBe('(none)\n');
  });

  it('lists the task among the company’s tasks, filtered by status', async () => {
    // Act
    const completed = await cliJson<Array<{ taskId: number }>>(
      'tasks',
      'list',
      '--company',
      '1',
      '--status',
      'completed',
    );
    const running = await cliJson<Array<{ taskId: number }>>(
      'tasks',
      'list',
      '--company',
      '1',
      '--status',
      '1',
    );
    const text = await cli('tasks', 'list', '--company', '1', '--limit', '1');

    // Assess
    expect(completed.map((t) => t.taskId)).toContain(taskId);
    expect(running.map((t) => t.taskId)).not.toContain(taskId);
    expect(text.stdout.trim().split('\n')).toHaveLength(3);
  });
});

describe('CLI against the simulator: import edge cases', () => {
  it('draws the progress bar in place on a terminal, one redraw per request', async () => {
    // Prepare
    const taskId = await createTask('进度条');
    const rows = Array.from({ length: 5 }, (_, i) => `客户${i},1390000400${i},100`).join('\n');
    const path = await file('five.csv', `name,phone,还款金额\n${rows}\n`);
    const io = captureIo(env(), true);

    // Act
    const code = await run(
      ['customers', 'import', String(taskId), '--company', '1', path, '--batch-size', '2'],
      io,
    );

    // Assess
    expect(code, io.stderr.text).toBe(0);
    expect(io.stderr.chunks.filter((c) => c.startsWith('\rimporting ['))).toHaveLength(4); // 0, 1, 2, 3 of 3
    // Rows, not requests, with the rate once there is one.
    expect(io.stderr.text).toMatch(
      /\rimporting \[########################\] 100% 5\/5 rows {2}request 3\/3 {2}\d+ rows\/s/,
    );
    expect(io.stderr.text.endsWith('\n')).toBe(true);
    expect(io.stdout.text).toMatch(/byrobot \(3 requests\)\nsent +5\nsuccess +5\n/);
  });

  it('checks a file without sending anything on --dry-run', async () => {
    // Prepare
    const taskId = await createTask('试运行');
    const path = await file('dry.csv', 'name,phone\nA,13900005001\nB,bad\n');

    // Act
    const result = await cli('customers', 'import', String(taskId), '--company', '1', path, '--dry-run');
    const pending = await cliJson<unknown[]>('customers', 'pending', String(taskId));

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('(dry run: nothing sent)');
    expect(result.stdout).not.toContain('byrobot (');
    expect(pending).toEqual([]);
  });

  it('exits 1 when no row is valid, sending nothing', async () => {
    // Prepare
    const taskId = await createTask('全无效');
    const path = await file('bad.json', '[{"name":"A","phone":"1"},{"name":"","phone":"13900006001"},"x"]');

    // Act
    const result = await cli('customers', 'import', String(taskId), '--company', '1', path, '--json');

    // Assess
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      counts: Record<string, number>;
      byrobot: unknown;
      rows: unknown[];
    };
    expect(report.counts).toEqual({ received: 3, valid: 0, duplicates: 0, invalid: 3 });
    expect(report.byrobot).toBeNull();
    expect(report.rows).toEqual([
      {
        row: '[0]',
        phone: expect.any(String),
        field: 'phone',
        rule: 'phone-format',
        message: expect.any(String),
      },
      { row: '[1]', phone: '139****6001', field: 'name', rule: 'required', message: expect.any(String) },
      { row: '[2]', phone: null, field: 'row', rule: 'type', message: 'not an object with name and phone' },
    ]);
  });

  it('reports byrobot refusing the import itself (a stopped task) and exits 1', async () => {
    // Prepare
    const taskId = await createTask('已停止');
    expect((await cli('tasks', 'stop', String(taskId))).code).toBe(0);
    const path = await file('late.csv', 'name,phone,还款金额\nA,13900007001,1\n');

    // Act
    const { code, stderr } = await cli('customers', 'import', String(taskId), '--company', '1', path);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(
      'error: import stopped at customer 1: 0 request(s) with 0 customers were accepted',
    );
    expect(stderr).toMatch(/byrobot error 412: /);
  });
});

describe('CLI against the simulator: pause, stop and errors', () => {
  it('pauses and stops a running task, and prints byrobot’s refusal of a second stop', async () => {
    // Prepare
    const taskId = await createTask('暂停测试');
    const path = await file('one.csv', 'name,phone,还款金额\nA,13900003001,1\nB,13900003002,1\n');
    expect((await cli('customers', 'import', String(taskId), '--company', '1', path)).code).toBe(0);
    expect((await cli('tasks', 'start', String(taskId))).code).toBe(0);

    // Act
    const paused = await cliJson<{ action: string; message: string }>('tasks', 'pause', String(taskId));
    const statusAfterPause = await cliJson<{ status: { code: number } }>(
      'tasks',
      'show',
      String(taskId),
      '--company',
      '1',
    );
    const stopped = await cli('tasks', 'stop', String(taskId));
    const again = await cli('tasks', 'stop', String(taskId));

    // Assess
    expect(paused.action).toBe('pause');
    expect(statusAfterPause.status.code).toBe(4);
    expect(stopped.code).toBe(0);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^byrobot error 412: /);
  });

  it('prints byrobot’s 404 for an unknown task and exits 1', async () => {
    // Act
    const { code, stdout, stderr } = await cli('tasks', 'show', '424242', '--company', '1');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^byrobot error 404: \S+/);
  });

  it('adds the clock hint to a 408', async () => {
    // Prepare: byrobot's clock 10 minutes ahead of ours
    simulator.sim.setClockOffset(600_000);

    // Act
    const result = await cli('companies').finally(() => simulator.sim.setClockOffset(0));

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('byrobot error 408: ');
    expect(result.stderr).toContain('hint: byrobot refused the request time');
  });

  it('adds the credentials hint to a 401 and never prints the secret', async () => {
    // Act
    const { code, stderr } = await runCli(['companies'], { ...env(), BYROBOT_APP_SECRET: 'wrong-secret' });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('byrobot error 401: ');
    expect(stderr).toContain('check BYROBOT_APP_KEY / BYROBOT_APP_SECRET');
    expect(stderr).not.toContain('wrong-secret');
  });

  it('fails an import of a file without customers, sending nothing', async () => {
    // Prepare
    const path = await file('empty.csv', '\uFEFF姓名,电话\r\n');

    // Act
    const { code, stderr } = await cli('customers', 'import', '1', '--company', '1', path);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('has no customers');
  });
});
