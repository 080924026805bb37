import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { killGroup, portFree, startNpm, until } from '../support/processes.ts';

/** Processes whose environment carries our marker: the whole tree npm start made. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker)) out.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

describe('npm start, as a newcomer runs it', () => {
  let started: Awaited<ReturnType<typeof startNpm>> | undefined;
  afterAll(() => killGroup(started?.child.pid));

  it('serves the real handlers, publishes the events, and Ctrl-C leaves nothing behind', async () => {
    const marker = `BRIDGE_E2E_${process.pid}_${Date.now()}`;
    // Its own process group (startNpm): Ctrl-C in a terminal signals the whole foreground group.
    started = await startNpm(['--', '--no-demo', '--poll-seconds', '1', '--speed', '120'], {
      env: {
        // A simulator secret of our own: it must never be printed (the documented demo default may).
        SIM_APP_SECRET: 'e2e-simulator-secret-not-to-print',
        [marker]: '1',
      },
    });
    const { child, port, simPort, eventsFile, output } = started;
    // The key is printed on the line after "ready at": a pipe may deliver the two apart.
    await until('ready', () => /ready at http[\s\S]*API key: .*\n/.test(output()), 60_000);
    expect(output()).toContain('local-dev-key');
    expect(output()).not.toContain('e2e-simulator-secret-not-to-print');
    // The CLI's export line for the simulator this run started, runnable as pasted.
    expect(output()).toContain(
      `CLI: export BYROBOT_BASE_URL=http://127.0.0.1:${simPort} BYROBOT_APP_KEY=demo-key BYROBOT_APP_SECRET="$SIM_APP_SECRET"`,
    );

    const api = `http://127.0.0.1:${port}`;
    const post = async (path: string, body?: unknown) => {
      const res = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { authorization: 'Bearer local-dev-key', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    expect((await fetch(`${api}/health`)).status).toBe(200);
    expect((await post('/tasks/1/start')).status).toBe(404);
    const created = await post('/tasks', {
      companyId: 1,
      taskName: 'e2e',
      userPhoneIds: [11],
      robotDefId: 101,
      concurrencyQuota: 3,
    });
    expect(created.status).toBe(201);
    const taskId = created.json.taskId as number;
    const imported = await post(`/tasks/${taskId}/customers`, {
      customers: [1, 2, 3, 4].map((i) => ({
        name: `客户${i}`,
        phone: `1370000000${i}`,
        properties: { crmId: `E2E-${i}` },
      })),
    });
    expect(imported.json).toMatchObject({ counts: { imported: 4 } });
    expect((await post(`/tasks/${taskId}/start`)).status).toBe(200);

    const events = () =>
      existsSync(eventsFile)
        ? readFileSync(eventsFile, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { 'detail-type': string; detail: Record<string, unknown> })
        : [];
    await until(
      'Task Completed',
      () => events().some((e) => e['detail-type'] === 'Task Completed' && e.detail.taskId === taskId),
      90_000,
    );
    const calls = events().filter((e) => e['detail-type'] === 'Call Completed' && e.detail.taskId === taskId);
    expect(calls.map((c) => (c.detail.properties as { crmId: string }).crmId).sort()).toEqual([
      'E2E-1',
      'E2E-2',
      'E2E-3',
      'E2E-4',
    ]);
    expect(output()).toMatch(/Call Completed +task \d+ +call \d+/);
    // Push first: the simulator pushed each call to the stack's receiver, so the poller, reconciling,
    // read none of them (no phoneLogInfo at all).
    const simUrl = `http://127.0.0.1:${simPort}`;
    const stats = (await (await fetch(`${simUrl}/__sim/stats`)).json()) as {
      byEndpoint: Record<string, number>;
      pushes: { call: { delivered: number } };
    };
    expect(stats.pushes.call.delivered).toBeGreaterThanOrEqual(4);
    expect(Object.keys(stats.byEndpoint).filter((e) => e.includes('phoneLogInfo'))).toEqual([]);
    // A lead re-graded in byrobot's CRM reaches the bus, by push only.
    const regraded = calls[0]!.detail.callInstanceId as number;
    const regrade = await fetch(`${simUrl}/__sim/calls/${regraded}/intent`, {
      method: 'POST',
      body: JSON.stringify({ level: calls[0]!.detail.intentLevel === 'A' ? 'B' : 'A' }),
    });
    expect(regrade.status).toBe(200);
    await until(
      'Call Intent Changed',
      () =>
        events().some(
          (e) => e['detail-type'] === 'Call Intent Changed' && e.detail.callInstanceId === regraded,
        ),
      30_000,
    );

    expect(processesWith(marker).length).toBeGreaterThan(0);
    process.kill(-child.pid!, 'SIGINT');
    await until('exit', () => child?.exitCode !== null || child?.signalCode !== null, 20_000);
    await until('every process gone', () => processesWith(marker).length === 0, 20_000);
    expect(await portFree(port)).toBe(true);
    expect(await portFree(simPort)).toBe(true);
  }, 180_000);
});
