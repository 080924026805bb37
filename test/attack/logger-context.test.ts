import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../dev/listen.ts';
import { startApiServer } from '../../local/api-server/index.ts';
import { type ApiStack, KEYS } from '../support/api-stack.ts';
import { captureJsonLines, speakingApiStack } from '../support/log-capture.ts';

/*
 * Issue 14 §9: locally every route shares one Logger, and `injectLambdaContext` plus appendKeys
 * wrote each request's function name and request id onto it, so concurrent requests logged each
 * other's. The local server now runs each request in an invocation context of its own (the runtime's
 * InvokeStore, as Lambda does for concurrent invocations); each line names its own function and id.
 */
let api: ApiStack;
let server: Listening;
const lines: string[] = [];
let restore: () => void = () => undefined;

beforeAll(async () => {
  api = await speakingApiStack('INFO');
  server = await startApiServer({ deps: api.deps });
  restore = captureJsonLines(lines);
});
afterAll(async () => {
  restore();
  await server?.close();
  await api?.close();
});

describe('Local API server: per-request logger context', () => {
  it('12 concurrent refused requests of two functions each log their own function name and request id', async () => {
    const auth = { authorization: `Bearer ${KEYS.admin}` };
    const requests = Array.from({ length: 12 }, (_, i) =>
      i % 2 === 0
        ? {
            fn: 'task-action',
            go: () => fetch(`${server.url}/tasks/${990_000 + i}/stop`, { method: 'POST', headers: auth }),
          }
        : {
            fn: 'get-import',
            go: () =>
              fetch(`${server.url}/imports/imp_${'0'.repeat(8)}${String(i).padStart(20, '0')}`, {
                headers: auth,
              }),
          },
    );
    const answers = await Promise.all(
      requests.map(async (r) => {
        const res = await r.go();
        return {
          fn: r.fn,
          status: res.status,
          instance: ((await res.json()) as { instance?: string }).instance,
        };
      }),
    );
    // 404s, or on a machine so busy that byrobot's lookups time out, 503s: either way one line each.
    expect(answers.every((a) => a.status === 404 || a.status === 503)).toBe(true);
    const refused = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.message === 'request refused' || l.message === 'request failed');
    expect(refused).toHaveLength(12);
    for (const answer of answers) {
      const line = refused.find((l) => l.requestId === answer.instance);
      expect(line, `a line for ${answer.fn} ${answer.instance}`).toBeDefined();
      expect(line).toMatchObject({ function_name: answer.fn, route: answer.fn });
    }
  });
});
