import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import { createApiDeps } from '../../shared/api/deps.ts';
import { ByrobotApiError } from '../../shared/byrobot/errors.ts';
import { byrobotClientOnFirstUse } from '../../shared/byrobot/on-first-use.ts';
import type { ApiConfig } from '../../shared/config/api.ts';
import { FUNCTION_NAMES, MANIFEST } from '../../shared/manifest.ts';

/*
 * ByrobotErrors comes from every function that calls byrobot, the import worker included: a 401
 * there used to raise no alarm, because only the API's error handler counted byrobot refusals. The
 * simulator checks signatures for real, so a wrong app secret is byrobot's own 401.
 */
let sim: RunningSimulator;
let lines: string[] = [];
const restore: Array<() => void> = [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, speed: 0 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
  vi.unstubAllEnvs();
  lines = [];
});

/** Powertools writes EMF blobs to stdout: keep them, pass anything else through. */
function captureStdout() {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.includes('"_aws"')) lines.push(...text.split('\n').filter(Boolean));
    else return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    return true;
  }) as typeof process.stdout.write;
  restore.push(() => {
    process.stdout.write = write;
  });
}

const config = (appSecret: string): ApiConfig => ({
  tableName: 'unused',
  eventBusName: 'unused',
  eventSource: 'byrobot.bridge',
  byrobotBaseUrl: sim.url,
  credentials: async () => ({ appKey: 'demo-key', appSecret }),
  apiKeys: async () => [],
  webhookSources: async () => [],
});

describe('ByrobotErrors from every byrobot caller', () => {
  it('the import worker counts byrobot’s 401 as ByrobotErrors{Outcome=code:401} with its service and stage', async () => {
    // The test run disables metrics (vitest.config.ts); this test reads them.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('BRIDGE_STAGE', 'prod');
    const wrong = config('not-the-secret');
    const deps = createApiDeps(wrong, 'import-worker', {
      byrobot: byrobotClientOnFirstUse(wrong, { retry: { maxAttempts: 1 } }),
    });
    captureStdout();
    const client = await deps.byrobot();
    const refused = await client
      .importCustomers({ companyId: 1, taskId: 1, customers: [{ name: '甲', phone: '13800000001' }] })
      .catch((e: unknown) => e);
    // The import wraps byrobot's refusal (ByrobotImportError, cause: the API error).
    expect((refused as Error).cause).toBeInstanceOf(ByrobotApiError);
    expect(((refused as Error).cause as ByrobotApiError).code).toBe(401);
    const emf = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((m) => 'ByrobotErrors' in m);
    // Two attempts, two counts: the task's count read before the import (what settles a lost answer,
    // shared/byrobot/client.ts) and the import itself, both refused with 401.
    expect(emf).toHaveLength(2);
    for (const m of emf) expect(m).toMatchObject({ ByrobotErrors: 1, Outcome: 'code:401' });
    expect(emf[1]).toMatchObject({
      ByrobotErrors: 1,
      Outcome: 'code:401',
      service: 'import-worker',
      stage: 'prod',
    });
    const [set] = (emf[0]!._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] })
      .CloudWatchMetrics;
    expect(set!.Namespace).toBe('ByrobotBridge');
    expect(set!.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'stage', 'Outcome']));
    // Asking again is the same client, observed once: one failure is one count.
    expect(await deps.byrobot()).toBe(client);
  });

  it('a successful attempt is not an error', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const right = config('demo-secret');
    const deps = createApiDeps(right, 'get-call', { byrobot: byrobotClientOnFirstUse(right) });
    captureStdout();
    await (await deps.byrobot()).getCompanys();
    expect(lines.filter((l) => l.includes('ByrobotErrors'))).toEqual([]);
  });

  it('every function that calls byrobot gets its client through createApiDeps or the poller runtime, both of which count', () => {
    const dir = join(import.meta.dirname, '../../functions');
    const callers = readdirSync(dir).filter((f) =>
      readFileSync(join(dir, f), 'utf8').includes('byrobotClientOnFirstUse'),
    );
    // Exactly the records that list the byrobot client (shared/manifest.ts), the poller apart.
    const byrobotRecords = FUNCTION_NAMES.filter(
      (n) => n !== 'poller' && (MANIFEST[n].clients as readonly string[]).includes('byrobot'),
    );
    expect(callers.sort()).toEqual(byrobotRecords.map((n) => `${n}.ts`).sort());
    expect(callers.length).toBeGreaterThanOrEqual(6);
    // routeLambda (shared/api/route.ts) builds its deps with createApiDeps.
    for (const f of callers)
      expect(readFileSync(join(dir, f), 'utf8'), f).toMatch(/\b(createApiDeps|routeLambda)\(/);
    // The poller counts its attempts per cycle (shared/poller/metrics.ts).
    expect(readFileSync(join(dir, 'poller.ts'), 'utf8')).toContain('recordPollMetrics');
  });
});
