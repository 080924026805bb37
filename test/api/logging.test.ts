import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ByrobotClient } from '../../shared/byrobot/client.ts';
import type { ApiStack } from '../support/api-stack.ts';
import { postImport, simTask } from '../support/app-requests.ts';
import { captureJsonLines, speakingApiStack } from '../support/log-capture.ts';

/*
 * Logs never carry a whole phone number. byrobot's messages are free text and do name numbers
 * ("客户 13912345678 …"); whatever path such a message takes into a log line (a refused request, a
 * failed one, a chunk the worker gives up on for now), the line shows it masked.
 */
let api: ApiStack;
let taskId: number;
const PHONE = '13912345678';
const SPELLED = '+86 139-1234-5679';
/** What byrobot answers to importTaskCustomer while a test wants it: code and message. */
let importAnswer: { code: number; resultMsg: string } | null = null;
const lines: string[] = [];
const restore: Array<() => void> = [];

beforeAll(async () => {
  // The test run silences the Logger (vitest.config.ts); this stack's Logger is built to speak.
  api = await speakingApiStack('DEBUG');
  taskId = simTask(api, '日志');
  // The real client against the simulator, except that importTaskCustomer answers as scripted.
  const client = new ByrobotClient({
    baseUrl: api.sim.url,
    appKey: 'demo-key',
    appSecret: 'demo-secret',
    timeoutMs: 400,
    retry: { maxAttempts: 1 },
    fetch: async (input, init) => {
      if (importAnswer && String(input).includes('importTaskCustomer')) {
        return new Response(
          JSON.stringify({ ...importAnswer, data: null, errorStackTrace: null, requestId: 'sim-x' }),
          { status: 200, headers: { 'content-type': 'application/json' } },
        );
      }
      return fetch(input, init);
    },
  });
  api.deps.byrobot = async () => client;
  // The Logger writes JSON lines to stdout and stderr: collect those, pass anything else through.
  restore.push(captureJsonLines(lines));
});
afterEach(() => {
  importAnswer = null;
  lines.length = 0;
});
afterAll(async () => {
  for (const r of restore) r();
  await api?.close();
});

const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
function expectMasked() {
  const text = lines.join('\n');
  expect(text).not.toContain(PHONE);
  // Not even with its separators taken out.
  expect(text.replace(/[\s+-]/g, '')).not.toContain('13912345679');
  expect(text).toContain('139****5678');
  expect(text).toContain('861******5679');
}
const importRows = (customers: unknown[]) => postImport(api, taskId, { customers });

describe('Logs mask phone numbers', () => {
  it('a request byrobot refuses (4xx): "request refused" with the request id, the numbers masked', async () => {
    importAnswer = { code: 412, resultMsg: `客户 ${PHONE} 与 ${SPELLED} 在黑名单中` };
    const r = await importRows([{ name: '黑名单', phone: PHONE }]);
    expect(r.status).toBe(422);
    const line = logs().find((l) => l.message === 'request refused');
    expect(line).toMatchObject({ level: 'INFO', route: 'import-customers', status: 422 });
    expect(line?.requestId).toBe(r.json.instance);
    expectMasked();
  });

  it('a request that fails (5xx): "request failed" with the stack, the numbers masked', async () => {
    importAnswer = { code: 500, resultMsg: `导入 ${PHONE} 和 ${SPELLED} 时内部错误` };
    const r = await importRows([{ name: '失败', phone: PHONE }]);
    expect(r.status).toBe(503);
    const line = logs().find((l) => l.message === 'request failed');
    expect(line).toMatchObject({ level: 'ERROR', route: 'import-customers', status: 503 });
    expect(String(line?.error)).toMatch(/ByrobotApiError|answered code 500/);
    expectMasked();
  });

  it('a queued chunk the worker fails: "chunk not imported", the numbers masked', async () => {
    importAnswer = { code: 500, resultMsg: `导入 ${PHONE} 和 ${SPELLED} 时内部错误` };
    const customers = Array.from({ length: 1001 }, (_, i) => ({
      name: `c${i}`,
      phone: `1350000${String(i).padStart(4, '0')}`,
    }));
    const r = await importRows(customers);
    expect(r.status).toBe(202);
    await api.queue.drained();
    const warned = logs().filter((l) => l.message === 'chunk not imported; SQS will redeliver it');
    expect(warned.length).toBeGreaterThanOrEqual(2);
    expect(warned[0]).toMatchObject({ level: 'WARN' });
    expectMasked();
  });
});
