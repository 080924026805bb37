import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import { CLI_BIN, spawnCli } from './support.ts';

/*
 * Colour through the real CLI process (cli/bin.mjs): piped output never has escape codes,
 * FORCE_COLOR adds them to a pipe, NO_COLOR keeps a terminal plain. The terminal is a real pty
 * (util-linux `script`); without it those cases are skipped, not passed.
 */
const ESC = '\u001b[';
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

let simulator: RunningSimulator;
beforeAll(async () => {
  simulator = await startSimulator({ port: 0, seed: 1, speed: 0 });
});
afterAll(() => simulator?.close());

/** Only what the test gives: no FORCE_COLOR or NO_COLOR from the runner's own environment. */
const baseEnv = () => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  TERM: 'xterm-256color',
  BYROBOT_BASE_URL: simulator.url,
  BYROBOT_APP_KEY: 'demo-key',
  BYROBOT_APP_SECRET: 'demo-secret',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

const piped = (args: string[], env: Record<string, string> = {}) => spawnCli(args, { ...baseEnv(), ...env });

/** stdout and stderr both on one pty, as in a terminal. */
function onTerminal(args: string[], env: Record<string, string> = {}): string {
  const command = [process.execPath, CLI_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: { ...baseEnv(), ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return r.stdout;
}

describe('CLI colour', () => {
  it('piped: no escape codes on stdout or stderr', async () => {
    const doctor = await piped(['doctor']);
    expect(doctor.stdout).toMatch(/^ok {4}/m);
    expect(doctor.stdout + doctor.stderr).not.toContain(ESC);
    const typo = await piped(['compnies']);
    expect(typo.stderr).toMatch(/^error: unknown command "compnies"/);
    expect(typo.stderr).not.toContain(ESC);
  });

  it('FORCE_COLOR: colour even when piped — ok green, the error label red, the summary green', async () => {
    const doctor = await piped(['doctor'], { FORCE_COLOR: '1' });
    expect(doctor.stdout).toContain(`${ESC}32mok${ESC}39m    `);
    expect(doctor.stderr).toContain(`${ESC}32mall checks passed${ESC}39m`);
    const typo = await piped(['compnies'], { FORCE_COLOR: '1' });
    expect(typo.stderr).toContain(`${ESC}31merror:${ESC}39m unknown command "compnies"`);
    // FORCE_COLOR=0 is Node's "no colour"
    expect((await piped(['compnies'], { FORCE_COLOR: '0' })).stderr).not.toContain(ESC);
  });

  it.skipIf(!hasScript)('on a terminal: coloured; with NO_COLOR (any value): plain', () => {
    const coloured = onTerminal(['compnies']);
    expect(coloured).toContain(`${ESC}31merror:${ESC}39m`);
    for (const value of ['1', 'no']) {
      const plain = onTerminal(['compnies'], { NO_COLOR: value });
      expect(plain).toContain('error: unknown command "compnies"');
      expect(plain).not.toContain(ESC);
    }
    const doctor = onTerminal(['doctor'], { NO_COLOR: '1' });
    expect(doctor).toMatch(/^ok {4}/m);
    expect(doctor).not.toContain(ESC);
  });
});
