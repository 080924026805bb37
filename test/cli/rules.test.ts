import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { localBusClient, startLocalBus } from '../../dev/eventbus.ts';
import { runCli } from './support.ts';

/*
 * `rules test` against events recorded by the real local bus: published with the EventBridgeClient,
 * appended to an events file by the bus, read back by the CLI in-process through run(). No byrobot
 * configuration is given: the command must not need one.
 */

let dir: string;
let eventsFile: string;
const hotLeads = { 'detail-type': ['Call Completed'], detail: { intentLevel: ['A', 'B'] } };

const call = (callInstanceId: number, intentLevel: string | null, phone = '13900000002') => ({
  Source: 'byrobot.bridge',
  DetailType: 'Call Completed',
  Detail: JSON.stringify({
    eventId: `call-${callInstanceId}`,
    taskId: 1001,
    callInstanceId,
    intentLevel,
    finishStatus: { code: 0, label: 'answered' },
    customer: { name: '王芳', phone },
  }),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rules-test-'));
  eventsFile = join(dir, 'events.ndjson');
  const bus = await startLocalBus({ eventsFile });
  try {
    const client = localBusClient(bus.endpoint);
    await client.send(
      new PutEventsCommand({
        Entries: [
          call(100001, 'A'),
          call(100002, 'C', '13900000003'),
          call(100003, null),
          {
            Source: 'byrobot.bridge',
            DetailType: 'Task Completed',
            Detail: JSON.stringify({
              eventId: 'done-1001',
              taskId: 1001,
              status: { code: 2, label: 'completed' },
            }),
          },
          {
            Source: 'byrobot.bridge',
            DetailType: 'Task Status Changed',
            Detail: JSON.stringify({
              eventId: 's-1001',
              taskId: 1001,
              status: { code: 1, label: 'running' },
              previousStatus: null,
              extra: { a: 1 },
            }),
          },
          call(100004, 'B'),
        ],
      }),
    );
  } finally {
    await bus.close();
  }
});

function patternFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const cli = (argv: string[], env: Record<string, string> = { EVENTS_FILE: eventsFile }) => runCli(argv, env);

describe('Command: rules test', () => {
  it('lists the matches and explains the near misses, phones masked', async () => {
    const path = patternFile('hot-leads.json', hotLeads);
    const { code, stdout, stderr } = await cli(['rules', 'test', path]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `${path} against 6 event(s) in ${eventsFile}: 2 match, 4 near miss(es), 0 other(s)`,
    );
    expect(stdout).toMatch(
      / other\(s\)\n\nMatches:\n {2}\S+Z {2}Call Completed {7}task 1001 {2}call 100001 {2}answered {2}intent A/,
    );
    expect(stdout).toContain('call 100004  answered  intent B');
    expect(stdout).toContain('Near misses (2 fields off or fewer):');
    expect(stdout).toContain(
      'call 100002  answered  intent C  王芳  139****0003\n    detail.intentLevel: expected "A" or "B"; got "C"\n',
    );
    expect(stdout).toContain(
      'call 100003  answered  王芳  139****0002\n    detail.intentLevel: expected "A" or "B"; got null\n',
    );
    expect(stdout).toContain(
      'Task Completed       task 1001  completed\n    detail-type: expected "Call Completed"; got "Task Completed"\n    detail.intentLevel: expected "A" or "B"; the field is absent\n',
    );
    // Task Status Changed fails on the same two fields: a near miss too.
    expect(stdout).toContain('Task Status Changed  task 1001  new → running\n    detail-type: expected');
    expect(stdout).not.toContain('13900000002');
  });

  it('counts an event failing on three fields as an "other", not a near miss', async () => {
    const path = patternFile('three.json', { ...hotLeads, detail: { ...hotLeads.detail, taskId: [999] } });
    const { stdout } = await cli(['rules', 'test', path, '--json']);
    const report = JSON.parse(stdout) as {
      nearMisses: Array<{ eventId: string; mismatches: unknown[] }>;
      others: number;
    };
    expect(report.nearMisses.map((n) => [n.eventId, n.mismatches.length])).toEqual([
      ['call-100001', 1],
      ['call-100002', 2],
      ['call-100003', 2],
      ['call-100004', 1],
    ]);
    expect(report.others).toBe(2);
  });

  it('--json: the pattern, counts, matches and near misses with each mismatch', async () => {
    const path = patternFile('hot-leads.json', hotLeads);
    const { code, stdout } = await cli(['rules', 'test', path, '--json', '--events', eventsFile], {});
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ pattern: hotLeads, eventsFile, total: 6, others: 0 });
    expect(report.matched.map((m: { eventId: string }) => m.eventId)).toEqual(['call-100001', 'call-100004']);
    expect(report.matched[0]).toEqual({
      id: expect.any(String),
      time: expect.stringMatching(/Z$/),
      source: 'byrobot.bridge',
      'detail-type': 'Call Completed',
      eventId: 'call-100001',
    });
    expect(report.nearMisses[0]).toMatchObject({
      eventId: 'call-100002',
      mismatches: [
        {
          path: 'detail.intentLevel',
          expected: ['A', 'B'],
          actual: 'C',
          reason: 'expected "A" or "B"; got "C"',
        },
      ],
    });
  });

  it('--limit caps each text list and says how many more there are', async () => {
    const path = patternFile('hot-leads.json', hotLeads);
    const { stdout } = await cli(['rules', 'test', path, '--limit', '1']);
    expect(stdout).toContain('call 100001');
    expect(stdout).not.toContain('call 100004');
    expect(stdout).toContain('  … and 1 more (--limit 0 lists all)');
    expect(stdout).toContain('  … and 3 more (--limit 0 lists all)');
  });

  it('a pattern EventBridge would refuse is a usage error with the reason', async () => {
    const bad = patternFile('bad.json', { detail: { intentLevel: 'A' } });
    const result = await cli(['rules', 'test', bad]);
    expect(result.code).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `error: ${bad}: event pattern: detail.intentLevel: must be an array of values (e.g. ["A"]) or a nested object, got string "A"`,
    );
    expect(result.stderr).toContain('Usage: byrobot-bridge rules test <pattern.json>');
    const unknown = patternFile('unknown.json', { source: [{ contains: 'robot' }] });
    expect((await cli(['rules', 'test', unknown])).stderr).toContain('unknown operator "contains"');
    const notJson = patternFile('not.json', '{"source": [');
    const nj = await cli(['rules', 'test', notJson]);
    expect(nj.code).toBe(64);
    expect(nj.stderr).toContain(`error: ${notJson} is not JSON`);
  });

  it('a missing pattern or events file is a failure that says what to do', async () => {
    const missing = await cli(['rules', 'test', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: cannot read ${join(dir, 'nope.json')}: ENOENT\n`);
    const path = patternFile('hot-leads.json', hotLeads);
    const noEvents = await cli(['rules', 'test', path, '--events', join(dir, 'none.ndjson')]);
    expect(noEvents.code).toBe(1);
    expect(noEvents.stderr).toContain(
      `no recorded events at ${join(dir, 'none.ndjson')}: \`npm start\` records`,
    );
  });

  it('skips lines that are not events, with a warning', async () => {
    const mixed = join(dir, 'mixed.ndjson');
    writeFileSync(
      mixed,
      `not json\n{"detail-type":"Call Completed","source":"byrobot.bridge","time":"2026-01-01T00:00:00Z","id":"x","detail":{"intentLevel":"A","callInstanceId":1,"taskId":2}}\n\n[1]\n`,
    );
    const { code, stdout, stderr } = await cli([
      'rules',
      'test',
      patternFile('hot-leads.json', hotLeads),
      '--events',
      mixed,
    ]);
    expect(code).toBe(0);
    expect(stderr).toBe(`warning: skipped 2 line(s) of ${mixed} that are not JSON events (line 1, 4)\n`);
    expect(stdout).toContain('against 1 event(s)');
    expect(stdout).toContain('1 match');
  });

  it('is listed in --help, needs no byrobot configuration, and checks its arguments', async () => {
    expect((await cli(['--help'], {})).stdout).toMatch(/rules test\s+Test an EventBridge event pattern/);
    const help = await cli(['rules', 'test', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--events <file>');
    const noArg = await cli(['rules', 'test'], {});
    expect(noArg.code).toBe(64);
    expect(noArg.stderr).toContain('error: missing <pattern.json>');
    expect((await cli(['rules', 'test', 'x.json', '--limit', '-1'], {})).code).toBe(64);
  });
});
