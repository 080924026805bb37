import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tailEvents } from '../../cli/commands/events.ts';
import { formatEventLine, type StoredEvent } from '../../dev/format-line.ts';
import { CLI_BIN, captureIo, runCli } from './support.ts';

/*
 * `events tail` on a real file that the test writes to as the local bus does (one JSON line per
 * event, appended), while the command follows it; an AbortController stands in for Ctrl-C, and one
 * test sends the real SIGINT to the real CLI process.
 */

function event(n: number, type = 'Call Completed'): StoredEvent {
  return {
    version: '0',
    id: `id-${n}`,
    'detail-type': type,
    source: 'byrobot.bridge',
    account: '000000000000',
    time: `2026-11-25T05:06:${String(n % 60).padStart(2, '0')}Z`,
    region: 'local',
    resources: [],
    detail:
      type === 'Call Completed'
        ? {
            taskId: 1001,
            callInstanceId: 100000 + n,
            finishStatus: { code: 0, label: 'answered' },
            intentLevel: 'B',
            customer: { name: '王芳', phone: '13900000002' },
            properties: { crmId: `DEMO-${n}` },
          }
        : {
            taskId: 1001,
            status: { code: 2, label: 'completed' },
            previousStatus: { code: 1, label: 'running' },
            counts: { done: n, total: 12 },
          },
    'event-bus-name': 'byrobot-bridge-local',
  };
}
const line = (e: StoredEvent) => `${JSON.stringify(e)}\n`;

function eventsFile(initial?: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'events-tail-')), 'events.ndjson');
  if (initial !== undefined) writeFileSync(file, initial);
  return file;
}

/**
 * Polls until the captured output contains `wanted` (the tail reads every few milliseconds). `ms`
 * only ends a test that would otherwise hang: a loaded machine can stall a process for seconds.
 */
async function until(read: () => string, wanted: string, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (!read().includes(wanted)) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${read()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return read();
}

function follow(file: string, options: { types?: string[]; lines?: number; json?: boolean } = {}) {
  const io = captureIo();
  const controller = new AbortController();
  /*
   * The tail listens on its signal each time it starts waiting for the next look, that is after
   * each read of the file: counting those listeners tells the test how far the tail has read,
   * without guessing at wall time (a busy machine makes any guess too short).
   */
  let waits = 0;
  const waiters: (() => void)[] = [];
  const listen = controller.signal.addEventListener.bind(controller.signal);
  controller.signal.addEventListener = ((...args: Parameters<typeof listen>) => {
    listen(...args);
    if (args[0] !== 'abort') return;
    waits++;
    for (const wake of waiters.splice(0)) wake();
  }) as typeof listen;
  /** Resolves once the tail has read the file `reads` more times from now (whole looks, start to end). */
  const readsDone = async (reads: number) => {
    // The look under way may have begun before the caller's write: one more proves a look after it.
    const target = waits + reads + (waits === 0 ? 0 : 1);
    while (waits < target) await new Promise<void>((wake) => waiters.push(wake));
  };
  const done = tailEvents(io, {
    file,
    types: options.types ?? [],
    follow: true,
    lines: options.lines ?? 10,
    json: options.json ?? false,
    signal: controller.signal,
    intervalMs: 5,
  });
  return { io, stop: () => controller.abort(), done, readsDone };
}

describe('Command: events tail', () => {
  it('prints the last n events readably and exits with --no-follow', async () => {
    // Prepare
    const file = eventsFile([1, 2, 3, 4].map((n) => line(event(n))).join(''));

    // Act
    const { code, stdout } = await runCli(['events', 'tail', '--no-follow', '--lines', '2'], {
      EVENTS_FILE: file,
    });

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe(`${formatEventLine(event(3))}\n${formatEventLine(event(4))}\n`);
    expect(stdout).toContain('call 100003  answered  intent B  王芳  139****0002  crmId DEMO-3');
  });

  it('filters on detail types, loosely named, and prints raw lines with --json', async () => {
    // Prepare
    const events = [event(1), event(2, 'Task Completed'), event(3), event(4, 'Task Status Changed')];
    const file = eventsFile(events.map(line).join(''));

    // Act
    const { code, stdout } = await runCli(
      ['events', 'tail', '--no-follow', '--json', '--type', 'task-completed, Task Status Changed'],
      { EVENTS_FILE: file },
    );

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe(line(events[1]!) + line(events[3]!));
  });

  it('says there are no events yet when the file does not exist, without following', async () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'events-tail-')), 'missing.ndjson');

    // Act
    const { code, stdout, stderr } = await runCli(['events', 'tail', '--no-follow'], { EVENTS_FILE: file });

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe(`no events yet: ${file} does not exist\n`);
  });

  it('leaves out a half-written last line with --no-follow', async () => {
    // Prepare
    const file = eventsFile(line(event(1)) + line(event(2)).slice(0, 40));

    // Act
    const { code, stdout, stderr } = await runCli(['events', 'tail', '--no-follow'], { EVENTS_FILE: file });

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe(`${formatEventLine(event(1))}\n`);
    expect(stderr).toBe('');
  });

  it('follows appended events, completing a line written in two parts, until stopped', async () => {
    // Prepare
    const file = eventsFile(line(event(1)));
    const tail = follow(file, { lines: 0 });
    await tail.readsDone(1); // its first read: event 1 is behind it, what comes next is new

    // Act: one whole line, then one cut inside a Chinese character (the UTF-8 bytes split)
    appendFileSync(file, line(event(2)));
    await until(() => tail.io.stdout.text, 'call 100002');
    const bytes = Buffer.from(line(event(3)));
    const cut = bytes.indexOf(Buffer.from('王')) + 1;
    appendFileSync(file, bytes.subarray(0, cut));
    await tail.readsDone(1); // it has read the half line (and must not have printed it)
    const beforeRest = tail.io.stdout.text;
    appendFileSync(file, bytes.subarray(cut));
    const text = await until(() => tail.io.stdout.text, 'call 100003');
    tail.stop();
    await tail.done;

    // Assess
    expect(beforeRest).not.toContain('call 100003');
    expect(text).toBe(`${formatEventLine(event(2))}\n${formatEventLine(event(3))}\n`);
    expect(tail.io.stderr.text).toBe('');
  });

  it('waits for a file that does not exist yet', async () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'events-tail-')), 'later.ndjson');
    const tail = follow(file);
    await until(() => tail.io.stderr.text, 'waiting for');

    // Act
    writeFileSync(file, line(event(5)));
    const text = await until(() => tail.io.stdout.text, 'call 100005');
    tail.stop();
    await tail.done;

    // Assess
    expect(text).toBe(`${formatEventLine(event(5))}\n`);
  });

  it('starts again from the top of a truncated or replaced file', async () => {
    // Prepare
    const file = eventsFile([1, 2, 3].map((n) => line(event(n))).join(''));
    const tail = follow(file, { lines: 1 });
    await until(() => tail.io.stdout.text, 'call 100003');

    // Act: truncated (`: > events.ndjson`), then a shorter file; then replaced by another file
    truncateSync(file, 0);
    appendFileSync(file, line(event(7)));
    await until(() => tail.io.stdout.text, 'call 100007');
    const other = `${file}.new`;
    writeFileSync(other, line(event(8, 'Task Completed')));
    renameSync(other, file);
    await until(() => tail.io.stdout.text, 'Task Completed');
    tail.stop();
    await tail.done;

    // Assess
    expect(tail.io.stdout.text).toBe(
      [event(3), event(7), event(8, 'Task Completed')].map((e) => `${formatEventLine(e)}\n`).join(''),
    );
    expect(tail.io.stderr.text).toContain('was truncated; reading it from the start');
  });

  it('stops cleanly on SIGINT in the real CLI process, exit code 0', async () => {
    // Prepare
    const file = eventsFile(line(event(1)));
    const child = spawn(process.execPath, [CLI_BIN, 'events', 'tail'], {
      env: { PATH: process.env.PATH ?? '', EVENTS_FILE: file },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => stdout, 'call 100001', 15_000);
    appendFileSync(file, line(event(2)));
    await until(() => stdout, 'call 100002');

    // Act
    child.kill('SIGINT');
    const code = await exited;

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe(`${formatEventLine(event(1))}\n${formatEventLine(event(2))}\n`);
  });

  it('refuses --follow with --no-follow', async () => {
    // Act
    const { code, stderr } = await runCli(['events', 'tail', '--follow', '--no-follow']);

    // Assess
    expect(code).toBe(64);
    expect(stderr).toContain('--follow and --no-follow contradict each other');
  });
});
