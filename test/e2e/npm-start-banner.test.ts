import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../shared/http/auth.ts';
import { killGroup, startNpm, until } from '../support/processes.ts';

/*
 * What a newcomer types and pastes: npm's own `npm start --no-demo` form, the banner's commands run
 * as pasted in bash, and an unknown flag answered with the usage (issue 15, points 2 and 4).
 */
const ROOT = join(import.meta.dirname, '../..');
let started: Awaited<ReturnType<typeof startNpm>> | undefined;
afterEach(() => {
  killGroup(started?.child.pid);
  started = undefined;
});

/** The banner's "Try (paste into bash):" block: its indented lines. */
function tryBlock(stdout: string): string {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Try (paste into bash):'));
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    block.push(line);
  }
  return block.join('\n');
}

describe('npm start: the words and the behaviour agree', () => {
  it('npm start --no-demo (npm’s config form) starts no demo, and the printed commands run as pasted', async () => {
    started = await startNpm(['--no-demo']);
    const { output } = started;
    await until('the Try block', () => /Try \(paste into bash\):\n[\s\S]*\/pause /.test(output()), 60_000);
    const block = tryBlock(output());
    expect(block).not.toMatch(/[<>]/);
    expect(block).toContain('TASK=$(curl');

    const ran = spawnSync('bash', ['-e', '-c', block], { encoding: 'utf8', timeout: 30_000 });
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/"imported":1/);
    expect(ran.stdout).toMatch(/"action":"pause"/);
    expect(ran.stdout).toMatch(/"action":"start"/);
    // No demo ran: only the task the pasted commands made exists.
    expect(output()).not.toContain('demo: task');
  }, 120_000);

  it('reads API keys with scopes from API_KEYS_JSON, as a deployed stage reads its secret: a read-only key gets 403', async () => {
    const keys = {
      keys: [
        { id: 'reader', hash: hashApiKey('reader-key-0000000000000001'), scopes: ['read'], companies: [1] },
        {
          id: 'ops',
          hash: hashApiKey('ops-key-00000000000000000002'),
          scopes: ['create', 'read'],
          companies: '*',
        },
      ],
    };
    started = await startNpm(['--', '--no-demo'], { env: { API_KEYS_JSON: JSON.stringify(keys) } });
    const { output, port } = started;
    await until(
      'ready',
      () => /ready at http[\s\S]*API keys from API_KEYS_JSON: .*\n/.test(output()),
      60_000,
    );
    expect(output()).toContain('reader (read), ops (create,read)');
    const create = (key: string) =>
      fetch(`http://127.0.0.1:${port}/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          companyId: 1,
          taskName: 'k',
          userPhoneIds: [11],
          robotDefId: 101,
          concurrencyQuota: 1,
        }),
      });
    expect((await create('reader-key-0000000000000001')).status).toBe(403);
    expect((await create('ops-key-00000000000000000002')).status).toBe(201);
    expect((await create('local-dev-key')).status).toBe(401);
  }, 120_000);

  it('an unknown flag prints the reason and the usage, exit 64, no stack trace', () => {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['local/start.ts', '--bogus'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain('usage: npm start');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
