import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle } from '../../infra/build.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/lazy');
const out = mkdtempSync(join(tmpdir(), 'bridge-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Imports the bundle in a fresh Node process and prints what its handler answers for 'bridge'. */
function callHandler(file: string): string {
  const run = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(file)}); console.log(String(await m.handler('bridge')))`,
    ],
    { encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  return run.stdout.trim();
}

describe('Function: bundle', () => {
  it('puts a module loaded with import() in a file of its own (esbuild splitting), which the bundle loads when called', async () => {
    const dir = join(out, 'lazy');
    const built = await bundle(join(FIXTURES, 'entry.ts'), dir);
    expect(built.lazy.map((l) => l.source)).toEqual(['test/fixtures/lazy/late.ts']);
    expect(existsSync(built.lazy[0]!.file)).toBe(true);
    expect(readFileSync(built.file, 'utf8')).not.toContain('hello ');
    expect(callHandler(built.file)).toBe('hello bridge');
  });

  it('keeps one copy of a module imported both statically and with import() (it runs once)', async () => {
    const dir = join(out, 'both');
    const built = await bundle(join(FIXTURES, 'both.ts'), dir);
    const copies = readdirSync(dir)
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => readFileSync(join(dir, f), 'utf8').split('hello ').length - 1);
    expect(copies.reduce((a, b) => a + b, 0)).toBe(1);
    expect(callHandler(built.file)).toBe('hello bridge,hello bridge');
  });

  it('builds the same files, byte for byte, twice', async () => {
    const read = (dir: string) =>
      Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    const [a, b] = [join(out, 'again-1'), join(out, 'again-2')];
    await bundle(join(FIXTURES, 'entry.ts'), a);
    await bundle(join(FIXTURES, 'entry.ts'), b);
    expect(read(b)).toEqual(read(a));
  });
});
