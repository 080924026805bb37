import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EVENTS_FILE } from '../../cli/commands/events.ts';
import { formatEventLine, type StoredEvent } from '../../dev/format-line.ts';
import { createDemoTask, customers } from '../support/demo-task.ts';
import { type LocalStack, startLocalStack } from '../support/local-stack.ts';
import { runCli } from './support.ts';

/*
 * `poll --once` runs the real poller runtime against the simulator over HTTP, dynalite and the local
 * bus: either a running stack's (DYNAMODB_ENDPOINT, EVENTBRIDGE_ENDPOINT, TABLE_NAME, as
 * `npm start` prints them) or its own in-process ones (--memory, the events file).
 */

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ seed: 11 });
});
afterAll(() => stack?.close());

const byrobotEnv = () => ({
  BYROBOT_BASE_URL: stack.sim.url,
  BYROBOT_APP_KEY: 'demo-key',
  BYROBOT_APP_SECRET: 'demo-secret',
});
const stackEnv = () => ({
  ...byrobotEnv(),
  DYNAMODB_ENDPOINT: stack.dynamo.endpoint,
  TABLE_NAME: stack.tableName,
  EVENTBRIDGE_ENDPOINT: stack.bus.endpoint,
});

const poll = (env: Record<string, string>, ...argv: string[]) => runCli(['poll', ...argv], env);

/** The event lines of a text run: everything before the report. */
const eventLines = (stdout: string) => stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
const withoutTime = (line: string) => line.replace(/^\S+\s+/, '');

describe('Command: poll --once against a running stack’s DynamoDB and bus', () => {
  it('records the baseline, then publishes a new task’s changes and prints each event and the report', async () => {
    // Act 1: the company's first cycle: whatever exists is history
    const first = await poll(stackEnv(), '--once', '--company', '1');

    // Assess 1
    expect(first.code, first.stderr).toBe(0);
    expect(eventLines(first.stdout)).toEqual([]);
    expect(first.stdout).toMatch(
      /^company 1: done, 0 task\(s\) listed in 1 page\(s\), 0 changed, 0 committed; events: none$/m,
    );
    expect(first.stdout).toMatch(/^byrobot requests: v1\/task\/getTasks ok ×1$/m);
    expect(first.stdout).toMatch(/^cycle done in \d+ ms, 0 failure\(s\)$/m);

    // Prepare 2: a task with three customers, started, and ten virtual minutes of calling
    const { taskId, variables } = await createDemoTask(stack, 'poll --once');
    await stack.byrobot.importCustomers({ companyId: 1, taskId, customers: customers(3, variables) });
    await poll(stackEnv(), '--once', '--company', '1');
    stack.bus.bus.clear();
    await stack.byrobot.start(taskId);
    await stack.advance(600);

    // Act 2
    const second = await poll(stackEnv(), '--once', '--company', '1');

    // Assess 2: the lines printed are the events the stack's bus accepted, in order
    expect(second.code, second.stderr).toBe(0);
    const published = stack.bus.bus.events;
    expect(published.length).toBeGreaterThanOrEqual(2);
    expect(eventLines(second.stdout).map(withoutTime)).toEqual(
      published.map((e) => withoutTime(formatEventLine(e))),
    );
    expect(second.stdout).toContain(`Task Status Changed  task ${taskId}`);
    expect(second.stdout).toMatch(new RegExp(`Call Completed +task ${taskId}  call \\d+`));
    expect(second.stdout).toMatch(/139\*\*\*\*\d{4}/); // phones masked, as formatEventLine does
    const calls = published.filter((e) => e['detail-type'] === 'Call Completed').length;
    expect(second.stdout).toMatch(
      new RegExp(
        `^company 1: done, 1 task\\(s\\) listed .*1 changed, 1 committed; events: .*Call Completed ${calls}`,
        'm',
      ),
    );
  });

  it('prints the events with their bus ids and the full report with --json', async () => {
    // Prepare
    stack.bus.bus.clear();
    await stack.advance(600);

    // Act
    const result = await poll(stackEnv(), '--once', '--company', '1', '--json');

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as {
      events: StoredEvent[];
      report: { companies: Array<{ companyId: number; outcome: string; failures: unknown[] }> };
    };
    expect(out.events.map((e) => e.id)).toEqual(stack.bus.bus.events.map((e) => e.id));
    expect(out.events.map((e) => e.detail)).toEqual(stack.bus.bus.events.map((e) => e.detail));
    expect(out.report.companies).toEqual([
      expect.objectContaining({ companyId: 1, outcome: 'done', failures: [] }),
    ]);
  });

  it('exits 1 and names the table when TABLE_NAME is not at DYNAMODB_ENDPOINT', async () => {
    // Act
    const result = await poll({ ...stackEnv(), TABLE_NAME: 'no-such-table' }, '--once');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: no table no-such-table at ${stack.dynamo.endpoint}; set TABLE_NAME`,
    );
  });

  it('exits 1 when byrobot keeps failing the listing, with the failure in the report', async () => {
    // Prepare: more 503s than the client's retries
    await stack.fault({ kind: 'http5xx', endpoint: 'task/getTasks', times: 10 });
    try {
      // Act
      const result = await poll(stackEnv(), '--once', '--company', '1');

      // Assess
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^company 1: listing-failed/m);
      expect(result.stdout).toMatch(/^ {2}failure: task -: .*503/m);
    } finally {
      await stack.clearFaults();
    }
  });
});

describe('Command: poll --once --memory', () => {
  it('uses an in-process DynamoDB and bus, appending to EVENTS_FILE what it prints', async () => {
    // Prepare: company 2 has a task with finished calls; a fresh store backfills them
    const taskId = await stack.byrobot.createTask({
      companyId: 2,
      taskName: 'memory',
      taskType: 2,
      workingStartTime: '09:00',
      workingEndTime: '20:00',
      userPhoneIds: [21],
      robotDefId: 111,
      concurrencyQuota: 2,
    });
    await stack.byrobot.importCustomers({
      companyId: 2,
      taskId,
      customers: [{ name: '钱七', phone: '13800000007', properties: { 活动日期: '12月1日', crmId: 'M-1' } }],
    });
    await stack.byrobot.start(taskId);
    await stack.advance(600);
    const file = join(mkdtempSync(join(tmpdir(), 'poll-memory-')), 'events.ndjson');
    const env = { ...byrobotEnv(), EVENTS_FILE: file };

    // Act
    const result = await poll(env, '--once', '--memory', '--backfill', '--company', '2');

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const stored = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StoredEvent);
    expect(stored.some((e) => e['detail-type'] === 'Call Completed' && e.detail.taskId === taskId)).toBe(
      true,
    );
    expect(eventLines(result.stdout)).toEqual(stored.map(formatEventLine));
    expect(result.stdout).toContain('crmId M-1');
    expect(result.stdout).not.toContain('13800000007');
  });
});

describe('Command: poll --once --memory beside a running stack', () => {
  it('does not append to the default events file unless EVENTS_FILE asks', async () => {
    // Prepare: a stack's events file in the default place, relative to where the command runs
    const dir = mkdtempSync(join(tmpdir(), 'poll-beside-'));
    const stackFile = join(dir, DEFAULT_EVENTS_FILE);
    mkdirSync(dirname(stackFile), { recursive: true });
    writeFileSync(stackFile, '');
    const cwd = process.cwd();
    process.chdir(dir);
    let result: Awaited<ReturnType<typeof poll>>;
    try {
      // Act
      result = await poll(byrobotEnv(), '--once', '--memory', '--backfill', '--company', '2');
    } finally {
      process.chdir(cwd);
    }

    // Assess: printed, and the stack's file untouched
    expect(result.code, result.stderr).toBe(0);
    expect(eventLines(result.stdout).length).toBeGreaterThan(0);
    expect(readFileSync(stackFile, 'utf8')).toBe('');
    expect(result.stderr).toContain('set EVENTS_FILE to keep them');
  });
});

describe('Command: poll (arguments and configuration)', () => {
  it.each([
    [['poll'], 64, 'poll runs one cycle only: pass --once'],
    [['poll', '--once', '--company', 'one'], 64, '--company takes company ids such as 1 or 1,2'],
    [['poll', '--once'], 1, 'set DYNAMODB_ENDPOINT to a local DynamoDB'],
  ])('%j exits %i', async (argv, exit, message) => {
    // Act: byrobot configured, no DynamoDB endpoint
    const { code, stderr } = await runCli(argv, byrobotEnv());

    // Assess
    expect(code).toBe(exit);
    expect(stderr).toContain(`error: ${message}`);
  });
});
