import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killGroup, portFree, startNpm, until } from '../support/processes.ts';
import { readSnippets, type Snippet } from '../support/snippets.ts';

/*
 * Every shell snippet of README.md and docs/*.md runs as pasted against `npm start` (issue 15,
 * point 6). New snippets are picked up by themselves; the markers a snippet may carry (aws, skip,
 * exit, http) are described in test/support/snippets.ts.
 *
 * The reader: one terminal runs `npm start` (the demo included, as the README says), another, in the
 * clone's directory, pastes a snippet. What the snippet's shell has:
 * - HOME, USER, SHELL, LANG/LC_*, TERM, TZ and PATH of this process, PATH without any
 *   node_modules/.bin (npm puts it there for `npm test`; a reader's shell does not have it);
 * - nothing of the stack's: no BYROBOT_*, no API key, no $API. A snippet that needs them says so
 *   itself (the banner's `CLI: export BYROBOT_…` line, the API's address and `local-dev-key`);
 * - EVENTS_FILE, the stack's events file: the stack writes to a file of this test's instead of the
 *   clone's .local/events.ndjson, and the CLI reads that one (the only difference from a reader's);
 * - a `curl` first on PATH that runs the real curl and notes each HTTP status it got (in
 *   SNIPPET_HTTP_LOG), so a snippet's curl answered 404 fails here although curl exits 0.
 * Each snippet runs in a fresh `bash` with `set -euo pipefail`: an undefined variable or any failing
 * command fails it. Snippets run one after another, in file order, README.md first.
 *
 * Ports: the stack runs on the documented defaults, PORT 3000 and SIM_PORT 4010, when they are free;
 * otherwise on free ones, and every `127.0.0.1:3000`/`localhost:3000` (4010) in a snippet is rewritten
 * to them (the test prints that it did). The snippets run once the demo's first call has completed,
 * as the README's reader sees events "within a minute".
 */
const ROOT = join(import.meta.dirname, '../..');
const SNIPPET_TIMEOUT_MS = 30_000;
/** Commands a snippet must be marked for: they would reinstall node_modules, recurse, or need AWS. */
const UNSAFE = /(^|[\s;&|(])(aws\s|npm (ci|i|install|test)\b|npx cdk (deploy|destroy|diff)\b)/m;

/** The real curl, found on PATH before our recorder is put in front of it. */
function realCurl(path: string): string {
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir, 'curl');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('no curl on PATH: the snippets use it');
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', script], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // A snippet that never ends (a server, a tail without --no-follow) fails instead of hanging.
    // Something it left in the background keeping the pipes open ends it the same way.
    const timer = setTimeout(() => {
      stderr += `\n[killed: still running after ${SNIPPET_TIMEOUT_MS} ms]`;
      killGroup(child.pid);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ status: null, stdout, stderr });
    }, SNIPPET_TIMEOUT_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const snippets = readSnippets(ROOT);
const toRun = snippets.filter((s) => !s.skip);
const skipped = snippets.filter((s) => s.skip);

describe('the docs’ shell snippets run as pasted against npm start', () => {
  let stack: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv = {};
  let port = 3000;
  let simPort = 4010;
  let work = '';

  beforeAll(async () => {
    if (!(await portFree(port))) port = await freePort();
    if (!(await portFree(simPort))) simPort = await freePort();
    if (port !== 3000 || simPort !== 4010)
      console.log(
        `doc snippets: 3000/4010 are taken here; the stack runs on ${port}/${simPort} and the snippets' ports are rewritten to them`,
      );
    work = mkdtempSync(join(tmpdir(), 'snippets-'));
    const eventsFile = join(work, 'events.ndjson');
    const started = await startNpm([], { port, simPort, eventsFile, stderr: true });
    stack = started.child;
    await until(
      'the demo’s first Call Completed',
      () => /Call Completed\s+task \d+/.test(started.output()),
      60_000,
    );

    const path = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((dir) => !dir.includes('node_modules'))
      .join(delimiter);
    const bin = join(work, 'bin');
    const httpLog = join(work, 'http.log');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'curl'),
      `#!/usr/bin/env bash
# The real curl, noting each HTTP status it got (1xx interim answers left out).
headers=$(mktemp)
${JSON.stringify(realCurl(path))} -D "$headers" "$@"
rc=$?
awk '/^HTTP\\//{ if ($2 !~ /^1/) print $2 }' "$headers" >> "$SNIPPET_HTTP_LOG"
rm -f "$headers"
exit $rc
`,
    );
    chmodSync(join(bin, 'curl'), 0o755);
    const keep = ['HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TERM', 'TZ', 'TMPDIR'];
    env = {
      ...Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
      PATH: `${bin}${delimiter}${path}`,
      EVENTS_FILE: eventsFile,
      SNIPPET_HTTP_LOG: httpLog,
    };
  }, 90_000);

  afterAll(() => {
    killGroup(stack?.pid);
    if (skipped.length)
      console.log(
        `doc snippets skipped (${skipped.length}):\n${skipped.map((s) => `  ${s.where}: ${s.skip}`).join('\n')}`,
      );
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('finds the snippets, and every skipped one says why', () => {
    expect(toRun.length).toBeGreaterThanOrEqual(8);
    for (const s of skipped) expect(s.skip, s.where).toMatch(/\w{3,}/);
  });

  const rewrite = (script: string) =>
    script
      .replace(/\b(127\.0\.0\.1|localhost):3000\b/g, `$1:${port}`)
      .replace(/\b(127\.0\.0\.1|localhost):4010\b/g, `$1:${simPort}`);

  it.each(toRun.map((s) => [s.where, s] as [string, Snippet]))('%s', async (_where, snippet) => {
    // Not run at all unless marked: these install over node_modules, run the suite, or reach AWS.
    const unsafe = snippet.script.match(UNSAFE);
    expect(
      unsafe,
      `${snippet.where} runs "${unsafe?.[0]}": mark it <!-- snippet: aws --> or <!-- snippet: skip: <reason> -->`,
    ).toBeNull();
    writeFileSync(env.SNIPPET_HTTP_LOG as string, '');
    const ran = await runBash(rewrite(snippet.script), env);
    const statuses = readFileSync(env.SNIPPET_HTTP_LOG as string, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
    const report = `${snippet.where} exited ${ran.status}; HTTP ${statuses.join(',') || 'none'}\n--- script\n${snippet.script}\n--- stdout\n${ran.stdout.slice(-3000)}\n--- stderr\n${ran.stderr.slice(-3000)}`;
    expect(ran.status, report).toBe(snippet.exit);
    const unexpected = statuses.filter((s) =>
      snippet.http ? !snippet.http.includes(s) : s < 200 || s > 299,
    );
    expect(unexpected, report).toEqual([]);
  });
});
