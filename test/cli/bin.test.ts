import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/* `npx byrobot-bridge` runs cli/bin.mjs: one real process, to prove the entry wires run() to the exit code. */

const bin = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));

function spawnCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('Entry: cli/bin.mjs', () => {
  it('prints the version and exits 0', async () => {
    // Act
    const result = await spawnCli(['--version'], {});

    // Assess
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^byrobot-bridge \d+\.\d+\.\d+\n$/),
    });
  });

  it('sets the process exit code from run(): 78 without configuration', async () => {
    // Act
    const result = await spawnCli(['companies'], { BYROBOT_APP_KEY: 'demo-key' });

    // Assess
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('missing environment variables BYROBOT_BASE_URL, BYROBOT_APP_SECRET');
  });
});
