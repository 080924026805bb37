import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../dev/listen.ts';
import { startApiServer } from '../../local/api-server/index.ts';
import { API_ROUTES } from '../../shared/manifest.ts';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';
import { simTask } from '../support/app-requests.ts';
import { bodyOf, rawRequest } from './probe.ts';

/*
 * The standing fuzzer (issue 14): hostile requests over every route of the real local server —
 * odd path values, bad headers, malformed, deep, prototype-laden and odd-unicode bodies — asserting
 * that caller input never earns a 5xx, the process keeps answering, and every error is problem+json
 * (a 422 naming each field and rule). ATTACK_RUNS sets the number of requests per route (npm run
 * test:attack runs 1,000; npm test 60).
 */
const RUNS = Number(process.env.ATTACK_RUNS ?? 60);
let api: ApiStack;
let server: Listening;
let taskId: number;
const tally = { requests: 0, byStatus: {} as Record<string, number> };

beforeAll(async () => {
  api = await startApiStack();
  server = await startApiServer({ deps: api.deps });
  taskId = simTask(api, '模糊');
});
afterAll(async () => {
  console.log(`fuzz: ${tally.requests} requests, by status ${JSON.stringify(tally.byStatus)}`);
  await server?.close();
  await api?.close();
});

const hostileSegment = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '1e3',
    '9007199254740993',
    '9'.repeat(40),
    '%E0%A4%A',
    '%00',
    '%2e%2e',
    '..',
    '__proto__',
    'constructor',
    '%F0%9F%98%80',
    'imp_',
    'imp_zzzzzz00000000000000000000',
    ' ',
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.integer({ min: -10, max: 2 ** 31 }).map(String),
);
const nasty = fc.oneof(
  fc.constantFrom('\u0000', '\u200b', '\u202e', '\ud800', '𠀀', 'A\u0301', '\ufeff', '张三'),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 3 }),
    nasty,
    tie('obj'),
    fc.array(tie('any'), { maxLength: 4 }),
  ),
  obj: fc.dictionary(
    fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'customers', 'companyId', 'name', 'phone'),
      fc.string({ maxLength: 8 }),
    ),
    tie('any'),
    { maxKeys: 5 },
  ),
}));
const body = fc.oneof(
  value.any.map((v) => JSON.stringify(v) ?? 'null'),
  fc
    .record({ customers: fc.array(value.any, { maxLength: 5 }), companyId: fc.option(value.any) })
    .map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '',
    '{',
    '{"a":1}}',
    '['.repeat(5000) + ']'.repeat(5000),
    `{"customers":[${'{"name":"a","phone":"13800138000"},'.repeat(50)}1]}`,
    '{"__proto__":{"admin":true},"customers":[{"name":"x","phone":"13800138000"}]}',
    '\ufeff{"customers":[]}',
  ),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
);
const headers = fc.record({
  authorization: fc.constantFrom(
    `Bearer ${KEYS.admin}`,
    `Bearer ${KEYS.company1}`,
    `Bearer ${KEYS.readOnly}`,
    'Bearer x',
    'Basic Zm9v',
    '',
    `bearer  ${KEYS.admin}`,
  ),
  'content-type': fc.constantFrom(
    'application/json',
    'application/json; charset=gbk',
    'application/json; charset=x-unknown',
    'text/plain',
    'application/vnd.api+json',
    '',
  ),
  'idempotency-key': fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.uuid())),
});

function targetFor(path: string, segment: string, real: boolean): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    real && name === 'taskId' ? String(taskId) : real && name === 'source' ? 'crm' : segment,
  );
}

describe('Fuzzer over every route of the local API server', () => {
  for (const route of API_ROUTES) {
    it(`${route.method} ${route.path}: no 5xx from caller input, problem+json errors, the process lives`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileSegment, fc.boolean(), body, headers, async (segment, real, text, h) => {
          const target = targetFor(route.path, segment, real);
          const head = [
            `${route.method} ${target} HTTP/1.1`,
            'host: x',
            'connection: close',
            ...Object.entries(h)
              .filter(([, v]) => v !== null && v !== '')
              .map(([k, v]) => `${k}: ${String(v).replace(/[\r\n]/g, '')}`),
            ...(route.method === 'POST' ? [`content-length: ${Buffer.byteLength(text)}`] : []),
            '',
            '',
          ].join('\n');
          const res = await rawRequest(server.url, head, route.method === 'POST' ? { body: text } : {});
          tally.requests++;
          tally.byStatus[String(res.status)] = (tally.byStatus[String(res.status)] ?? 0) + 1;
          expect(res.status, `${route.method} ${target}`).not.toBeNull();
          expect(res.status!, `${route.method} ${target} ${text.slice(0, 80)}`).toBeLessThan(500);
          if (res.status! >= 400 && res.status !== 400) {
            // Node's own 400 for a header it cannot parse has no body; every other error is ours.
            expect(res.text).toContain('application/problem+json');
          }
          if (res.status === 422) {
            const json = JSON.parse(bodyOf(res.text)) as {
              detail?: string;
              errors?: Array<{ field?: string; rule?: string }>;
            };
            // A field broke a rule, or byrobot refused the task's state (its message is the detail).
            if (!json.detail?.startsWith('byrobot refused')) expect(json.errors?.length).toBeGreaterThan(0);
            for (const e of json.errors ?? []) expect(e.field && e.rule).toBeTruthy();
          }
        }),
        { numRuns: RUNS },
      );
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    }, 240_000);
  }
});
