import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle } from '../../infra/build.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/lazy');
const out = mkdtempSync(join(tmpdir(), 'bridge-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('Function: bundle', () => {
  it('puts a module loaded with import() in a file of its own, which the bundle loads when called', async () => {
    const dir = join(out, 'lazy');
    const built = await bundle(join(FIXTURES, 'entry.ts'), dir);
    expect(built.lazy.map((l) => l.source)).toEqual(['test/fixtures/lazy/late.ts']);
    const lazyFile = join(dir, 'test.fixtures.lazy.late.mjs');
    expect(existsSync(lazyFile)).toBe(true);
    expect(readFileSync(built.file, 'utf8')).not.toContain('hello ');
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(built.file)}); console.log(await m.handler('bridge'))`,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('hello bridge');
  });

  it('throws when a module is imported both statically and with import() (it would run twice)', async () => {
    await expect(bundle(join(FIXTURES, 'both.ts'), join(out, 'both'))).rejects.toThrow(
      /test\/fixtures\/lazy\/late\.ts is imported both statically and with import\(\)/,
    );
  });
});
