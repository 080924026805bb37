import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../local/api-server/index.ts';
import { type ApiStack, KEYS, startApiStack, WEBHOOK_SECRETS } from '../support/api-stack.ts';
import { runCli } from './support.ts';

/*
 * `webhook send` against the real API over HTTP: the local API server in front of the real handlers
 * and middy stack, so the signature is checked by the same verifier as on AWS, with the simulator,
 * dynalite and the local bus behind it.
 */

let api: ApiStack;
let server: { url: string; close(): Promise<void> };
let taskId: number;
let dir: string;

beforeAll(async () => {
  api = await startApiStack();
  server = await startApiServer({ deps: api.deps, port: 0 });
  const created = await api.call('create-task', {
    method: 'POST',
    path: '/tasks',
    headers: api.auth(KEYS.admin),
    body: {
      companyId: 1,
      taskName: 'webhook send',
      userPhoneIds: [11],
      robotDefId: 101,
      concurrencyQuota: 2,
    },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  taskId = created.json.taskId as number;
  dir = await mkdtemp(join(tmpdir(), 'webhook-send-'));
});

afterAll(async () => {
  await server?.close();
  await api?.close();
});

async function bodyFile(name: string, phones: string[]): Promise<string> {
  const path = join(dir, name);
  const customers = phones.map((phone, i) => ({ name: `客户${i}`, phone, properties: { crmId: `W-${i}` } }));
  await writeFile(path, JSON.stringify({ customers }, null, 2));
  return path;
}

const send = (...argv: string[]) => runCli(['webhook', 'send', ...argv]);

const url = () => `${server.url}/webhooks/crm/tasks/${taskId}/customers`;
/** The phones the simulator's task holds a call for: what the webhook really imported. */
const phonesCalled = () =>
  api.sim.sim
    .world()
    .task(taskId)
    .calls.map((c) => c.phone);

describe('Command: webhook send', () => {
  it('signs so the real handler accepts it, and prints the answer', async () => {
    // Prepare
    const file = await bodyFile('two.json', ['13900000101', '13900000102']);

    // Act
    const result = await send(url(), file, '--secret', WEBHOOK_SECRETS.current);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^HTTP 200 OK\n/);
    expect(JSON.parse(result.stdout.slice(result.stdout.indexOf('\n') + 1))).toMatchObject({
      taskId,
      counts: { received: 2, valid: 2 },
    });
    expect(phonesCalled()).toEqual(expect.arrayContaining(['13900000101', '13900000102']));
    expect(result.stderr).toMatch(/^sent webhook-id msg_[0-9a-f-]{36} \(timestamp \d+\)/);
    expect(result.stdout + result.stderr).not.toContain(WEBHOOK_SECRETS.current.slice(6));
  });

  it('takes the secret from WEBHOOK_SECRET and answers --json', async () => {
    // Prepare
    const file = await bodyFile('env.json', ['13900000103']);

    // Act
    const { code, stdout, stderr } = await runCli(['webhook', 'send', url(), file, '--json'], {
      WEBHOOK_SECRET: WEBHOOK_SECRETS.old,
    });

    // Assess
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout) as { status: number; body: { counts: { valid: number } } };
    expect(out).toMatchObject({ status: 200, body: { counts: { valid: 1 } } });
    expect(stdout).not.toContain(WEBHOOK_SECRETS.old.slice(6));
  });

  it('sends the same --id twice as one delivery: the bridge replays its first answer', async () => {
    // Prepare
    const file = await bodyFile('retry.json', ['13900000104']);
    const id = `msg_cli_retry_${Date.now()}`;

    // Act
    const first = await send(url(), file, '--secret', WEBHOOK_SECRETS.current, '--id', id, '--json');
    const second = await send(url(), file, '--secret', WEBHOOK_SECRETS.current, '--id', id, '--json');

    // Assess
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).body).toEqual(JSON.parse(first.stdout).body);
    expect(second.stderr).toBe('');
    expect(phonesCalled().filter((phone) => phone === '13900000104')).toHaveLength(1);
  });

  it('exits 1 and prints the 401 when the secret is not the source’s', async () => {
    // Prepare
    const file = await bodyFile('wrong.json', ['13900000105']);

    // Act
    const result = await send(url(), file, '--secret', WEBHOOK_SECRETS.other);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^HTTP 401 Unauthorized\n/);
    expect(result.stdout).toContain('missing or invalid credentials');
    expect(result.stdout + result.stderr).not.toContain(WEBHOOK_SECRETS.other.slice(6));
    expect(phonesCalled().includes('13900000105')).toBe(false);
  });

  it.each([
    [['http://x/y', 'b.json'], '--secret is required (or set WEBHOOK_SECRET)'],
    [
      ['http://x/y', 'b.json', '--secret', 'not-a-whsec-secret'],
      '--secret must be whsec_ followed by base64',
    ],
    [['ftp://x/y', 'b.json', '--secret', WEBHOOK_SECRETS.current], '<url> must be an absolute http(s) URL'],
    [['http://x/y'], 'missing <body.json>'],
  ])('exits 64 for %j, never echoing the secret', async (argv, message) => {
    // Act
    const result = await send(...argv);

    // Assess
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(`error: ${message}`);
    expect(result.stderr).not.toContain('not-a-whsec-secret');
  });

  it('exits 1 for a body that is not JSON, before sending anything', async () => {
    // Prepare
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"customers": [');

    // Act
    const result = await send(url(), path, '--secret', WEBHOOK_SECRETS.current);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${path} is not JSON`);
    expect(result.stdout).toBe('');
  });
});
