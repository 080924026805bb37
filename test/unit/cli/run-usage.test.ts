import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../cli/run.ts';
import { runCli } from '../../cli/support.ts';

/* The dispatcher's behaviour that needs no byrobot: help, usage errors, configuration. */

/** A full configuration whose byrobot never answers: port 9 (discard) is closed on test machines. */
const UNREACHABLE_BYROBOT = {
  BYROBOT_BASE_URL: 'http://127.0.0.1:9',
  BYROBOT_APP_KEY: 'k',
  BYROBOT_APP_SECRET: 's',
};

describe('Function: run (no byrobot needed)', () => {
  it('lists every command in the top-level help', async () => {
    // Act
    const { code, stdout } = await runCli(['--help']);

    // Assess
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toContain(`  ${command.name} `);
    expect(stdout).toContain('BYROBOT_BASE_URL');
  });

  it('prints the version', async () => {
    // Act
    const { code, stdout } = await runCli(['--version']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/^byrobot-bridge \d+\.\d+\.\d+\n$/);
  });

  it.each(COMMANDS.map((c) => [c.name]))('shows help for %s without any configuration', async (name) => {
    // Act
    const { code, stdout, stderr } = await runCli([...name.split(' '), '--help']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: byrobot-bridge ${name}`));
    expect(stdout).toContain('--json');
    expect(stderr).toBe('');
  });

  it('reads `help <command>` as `<command> --help`', async () => {
    // Act
    const { code, stdout } = await runCli(['help', 'calls', 'list']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: byrobot-bridge calls list <taskId>');
  });

  it('shows a group’s commands for `tasks --help` and refuses a bare `tasks`', async () => {
    // Act
    const help = await runCli(['tasks', '--help']);
    const bare = await runCli(['tasks']);

    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('tasks create');
    expect(bare.code).toBe(64);
    expect(bare.stderr).toContain('error: tasks needs a command');
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['tasks', 'explode'], 'unknown command "tasks explode"'],
    [[], 'no command given'],
  ])('exits 64 for %j', async (argv, message) => {
    // Act
    const { code, stdout, stderr } = await runCli(argv);

    // Assess
    expect(code).toBe(64);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it.each([
    [['task', 'list'], 'tasks list'],
    [['compnies'], 'companies'],
    [['tasks', 'lst'], 'tasks list'],
    [['calls', 'shwo', '1'], 'calls show'],
  ])('a typo %j names the command it most likely meant, not the whole help', async (argv, meant) => {
    // Act
    const { code, stdout, stderr } = await runCli(argv);

    // Assess
    expect(code).toBe(64);
    expect(stderr).toContain(`Did you mean 'byrobot-bridge ${meant}'?`);
    expect(stderr).not.toContain('Every command takes --help');
    expect(stdout).toBe('');
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
    // Act: full configuration, so only the arguments can be at fault
    const { code, stdout, stderr } = await runCli(argv, UNREACHABLE_BYROBOT);

    // Assess
    expect(code).toBe(64);
    expect(stderr).toContain(`error: ${message}`);
    expect(stderr).toMatch(/Usage: byrobot-bridge \w+/);
    expect(stdout).toBe('');
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
    const base = ['tasks', 'create', '--company', '1', '--name', 'n', '--robot', '1', '--phones', '1'];

    // Act
    const { code, stderr } = await runCli([...base, ...extra]);

    // Assess
    expect(code).toBe(64);
    expect(stderr).toContain(message);
  });

  it('names the missing variables, hints at the simulator and exits 78', async () => {
    // Act
    const { code, stderr } = await runCli(['companies'], { BYROBOT_APP_SECRET: 'very-secret' });

    // Assess
    expect(code).toBe(78);
    expect(stderr).toContain('BYROBOT_BASE_URL, BYROBOT_APP_KEY');
    expect(stderr).toContain('npm run sim');
    expect(stderr).not.toContain('very-secret');
  });

  it('reports a transport error with its kind and exits 1', async () => {
    // Act
    const { code, stderr } = await runCli(['tasks', 'start', '5'], UNREACHABLE_BYROBOT);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/^transport error \(network\): /);
  });
});
