import { describe, expect, it } from 'vitest';
import { COMMANDS, run } from '../../../cli/run.ts';
import { captureIo } from '../../cli/support.ts';

/* The dispatcher's behaviour that needs no byrobot: help, usage errors, configuration. */

describe('Function: run (no byrobot needed)', () => {
  it('lists every command in the top-level help', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await run(['--help'], io);

    // Assess
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(io.stdout.text).toContain(`  ${command.name} `);
    expect(io.stdout.text).toContain('BYROBOT_BASE_URL');
  });

  it('prints the version', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await run(['--version'], io);

    // Assess
    expect(code).toBe(0);
    expect(io.stdout.text).toMatch(/^byrobot-bridge \d+\.\d+\.\d+\n$/);
  });

  it.each(COMMANDS.map((c) => [c.name]))('shows help for %s without any configuration', async (name) => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await run([...name.split(' '), '--help'], io);

    // Assess
    expect(code).toBe(0);
    expect(io.stdout.text).toMatch(new RegExp(`^Usage: byrobot-bridge ${name}`));
    expect(io.stdout.text).toContain('--json');
    expect(io.stderr.text).toBe('');
  });

  it('reads `help <command>` as `<command> --help`', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await run(['help', 'calls', 'list'], io);

    // Assess
    expect(code).toBe(0);
    expect(io.stdout.text).toContain('Usage: byrobot-bridge calls list <taskId>');
  });

  it('shows a group’s commands for `tasks --help` and refuses a bare `tasks`', async () => {
    // Prepare
    const help = captureIo();
    const bare = captureIo();

    // Act
    const helpCode = await run(['tasks', '--help'], help);
    const bareCode = await run(['tasks'], bare);

    // Assess
    expect(helpCode).toBe(0);
    expect(help.stdout.text).toContain('tasks create');
    expect(bareCode).toBe(64);
    expect(bare.stderr.text).toContain('error: tasks needs a command');
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['tasks', 'explode'], 'unknown command "tasks explode"'],
    [[], 'no command given'],
  ])('exits 64 for %j', async (argv, message) => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await run(argv, io);

    // Assess
    expect(code).toBe(64);
    expect(io.stderr.text).toContain(message);
    expect(io.stdout.text).toBe('');
  });

  it.each([
    [['task', 'list'], 'tasks list'],
    [['compnies'], 'companies'],
    [['tasks', 'lst'], 'tasks list'],
    [['calls', 'shwo', '1'], 'calls show'],
  ])('a typo %j names the command it most likely meant, not the whole help', async (argv, meant) => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await run(argv, io);

    // Assess
    expect(code).toBe(64);
    expect(io.stderr.text).toContain(`Did you mean 'byrobot-bridge ${meant}'?`);
    expect(io.stderr.text).not.toContain('Every command takes --help');
    expect(io.stdout.text).toBe('');
  });

  it.each([
    [['robots'], '--company is required'],
    [['robots', '--company', 'abc'], '--company must be a whole number, got "abc"'],
    [['robots', '--company'], "Option '--company <value>' argument missing"],
    [['robots', '--company', '1', '--colour'], "Unknown option '--colour'"],
    [['tasks', 'show', '--company', '1'], 'missing <taskId>'],
    [['tasks', 'start', '1', '2'], 'unexpected argument "2"'],
    [['tasks', 'list', '--company', '1', '--status', 'sleeping'], '--status must be a status code or label'],
    [['calls', 'list', '5', '--intent', 'AZ'], '--intent takes intent letters A-F'],
    [
      ['calls', 'list', '5', '--min-duration', '60', '--max-duration', '10'],
      '--min-duration must not be above',
    ],
    [
      ['customers', 'import', '5', 'x.csv', '--company', '1', '--missing-variables', 'drop'],
      '--missing-variables must be reject or pass',
    ],
  ])('prints the usage and exits 64 for %j', async (argv, message) => {
    // Prepare: full configuration, so only the arguments can be at fault
    const io = captureIo({
      BYROBOT_BASE_URL: 'http://127.0.0.1:9',
      BYROBOT_APP_KEY: 'k',
      BYROBOT_APP_SECRET: 's',
    });

    // Act
    const code = await run(argv, io);

    // Assess
    expect(code).toBe(64);
    expect(io.stderr.text).toContain(`error: ${message}`);
    expect(io.stderr.text).toMatch(/Usage: byrobot-bridge \w+/);
    expect(io.stdout.text).toBe('');
  });

  it.each([
    [['--call-type', '4'], '--call-type must be 0, 1, 2 or 6'],
    [['--hours', '9-5'], '--hours must be HH:mm-HH:mm'],
    [['--hours', '18:00-10:00'], '--hours must end after it starts'],
    [['--type', 'scheduled'], 'a scheduled task needs --start-date'],
    [['--type', 'weekly'], '--type must be manual or scheduled'],
    [['--start-date', '2026-02-30'], '--start-date must be a date as yyyy-MM-dd'],
    [['--redial-times', '9'], '--redial-times must be at most 5'],
    [['--redial-on', '4'], '--redial-on: byrobot redials only finish statuses 2,3,5,6,7,9,10'],
  ])('checks tasks create %j before configuration or byrobot is needed', async (extra, message) => {
    // Prepare: no configuration at all; reaching for the client would exit 78 instead
    const io = captureIo({});
    const base = ['tasks', 'create', '--company', '1', '--name', 'n', '--robot', '1', '--phones', '1'];

    // Act
    const code = await run([...base, ...extra], io);

    // Assess
    expect(code).toBe(64);
    expect(io.stderr.text).toContain(message);
  });

  it('names the missing variables, hints at the simulator and exits 78', async () => {
    // Prepare
    const io = captureIo({ BYROBOT_APP_SECRET: 'very-secret' });

    // Act
    const code = await run(['companies'], io);

    // Assess
    expect(code).toBe(78);
    expect(io.stderr.text).toContain('BYROBOT_BASE_URL, BYROBOT_APP_KEY');
    expect(io.stderr.text).toContain('npm run sim');
    expect(io.stderr.text).not.toContain('very-secret');
  });

  it('reports a transport error with its kind and exits 1', async () => {
    // Prepare: port 9 (discard) is closed on test machines
    const io = captureIo({
      BYROBOT_BASE_URL: 'http://127.0.0.1:9',
      BYROBOT_APP_KEY: 'k',
      BYROBOT_APP_SECRET: 's',
    });

    // Act
    const code = await run(['tasks', 'start', '5'], io);

    // Assess
    expect(code).toBe(1);
    expect(io.stderr.text).toMatch(/^transport error \(network\): /);
  });
});
