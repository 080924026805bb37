import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../dev/listen.ts';
import { startApiServer } from '../../local/api-server/index.ts';
import { type ApiStack, KEYS, startApiStack } from '../support/api-stack.ts';
import { simTask } from '../support/app-requests.ts';
import { rawRequest } from './probe.ts';

/*
 * Requests that each used to end the whole local process (issue 14 §1): the async request handler
 * threw (URIError, TypeError: Invalid URL, ECONNRESET) and nothing caught it. Here against the real
 * local API server; after each, the same process still answers /health.
 */
let api: ApiStack;
let server: Listening;
let taskId: number;

beforeAll(async () => {
  api = await startApiStack();
  server = await startApiServer({ deps: api.deps });
  taskId = simTask(api, '探测');
});
afterAll(async () => {
  await server?.close();
  await api?.close();
});

const alive = async () => expect((await fetch(`${server.url}/health`)).status).toBe(200);
const get = (target: string) =>
  rawRequest(server.url, `GET ${target} HTTP/1.1\nhost: x\nconnection: close\n\n`);
const upload = (length: number) =>
  `POST /tasks/${taskId}/customers HTTP/1.1\nhost: x\nauthorization: Bearer ${KEYS.admin}\ncontent-type: application/json\ncontent-length: ${length}\n\n`;

describe('Local API server: no request ends the process', () => {
  it.each([
    ['a malformed %-escape in a path parameter', '/calls/%E0%A4%A', 400],
    ['an empty authority (`//`)', '//', 400],
    ['an absolute-form target with a bad URL', 'http://[bad/health', 400],
    ['a scheme other than http', 'ftp://x/health', 400],
  ])('answers %s with a 4xx and lives', async (_what, target, status) => {
    const res = await get(target);
    expect(res.status).toBe(status);
    expect(res.text).toContain('application/problem+json');
    await alive();
  });

  it('serves an absolute-form target with a good URL, as a proxy-style client sends it', async () => {
    expect((await get('http://localhost/health')).status).toBe(200);
  });

  it('drops a client that disconnects mid-upload and lives', async () => {
    const res = await rawRequest(server.url, upload(100_000), {
      body: '{"customers":[',
      abortAfterBody: true,
    });
    expect(res.status).toBeNull();
    await alive();
  });

  it('refuses a declared 200 MB body at once with 413, before reading it', async () => {
    const res = await rawRequest(server.url, upload(200 * 1024 * 1024), {
      stream: { total: 200 * 1024 * 1024, chunk: 64 * 1024 },
    });
    expect(res.status).toBe(413);
    expect(res.text).toContain('application/problem+json');
    // Answered long before the body was sent: the server never buffered it.
    expect(res.sent).toBeLessThan(50 * 1024 * 1024);
    await alive();
  });

  it('refuses a chunked body once it passes 6 MB, without buffering the rest', async () => {
    const head = `POST /tasks/${taskId}/customers HTTP/1.1\nhost: x\nauthorization: Bearer ${KEYS.admin}\ncontent-type: application/json\ntransfer-encoding: chunked\n\n`;
    const res = await rawRequest(server.url, head, {
      stream: { total: 200 * 1024 * 1024, chunk: 64 * 1024, chunked: true },
    });
    expect(res.status).toBe(413);
    expect(res.sent).toBeLessThan(50 * 1024 * 1024);
    await alive();
  });

  it('answers a request line Node cannot parse with 400 and lives', async () => {
    const res = await rawRequest(server.url, 'GET /health HTTP/1.1\nhost: x\nbad header line\n\n');
    expect(res.status).toBe(400);
    await alive();
  });
});
