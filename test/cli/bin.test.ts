import { describe, expect, it } from 'vitest';
import { spawnCli } from './support.ts';

/* `npx byrobot-bridge` runs cli/bin.mjs: one real process, to prove the entry wires run() to the exit code. */

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
