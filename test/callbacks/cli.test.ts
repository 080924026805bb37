import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/run.ts';
import { startDynalite } from '../../dev/dynamo.ts';
import { RejectedCallbacks } from '../../shared/callbacks/rejected.ts';
import { createDocumentClient, ensureTable } from '../../shared/store/dynamo.ts';
import { captureIo } from '../cli/support.ts';

/** `callbacks rejected` reads the kept callbacks back from a real (dynalite) table. */
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
const tableName = 'cli-callbacks';
const at = Date.parse('2026-12-01T23:24:13.639Z');

beforeAll(async () => {
  dynamo = await startDynalite();
  const doc = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureTable(doc, tableName);
  const kept = new RejectedCallbacks(doc, tableName);
  await kept.store({
    receivedAtMs: at,
    reason: 'malformed JSON',
    contentType: 'text/plain',
    dataType: null,
    callbackId: null,
    sourceIp: '120.55.46.3',
    body: 'not json',
    uniqueId: 'r1',
  });
  await kept.store({
    receivedAtMs: at + 1000,
    reason: 'data.data.sceneInstance.companyId: missing or not an id',
    contentType: 'application/json;charset=utf-8',
    dataType: 'CALL_INSTANCE_RESULT',
    callbackId: '77',
    sourceIp: '120.55.46.3',
    body: '{"code":200}',
    uniqueId: 'r2',
  });
});
afterAll(async () => dynamo?.close());

const cli = async (...argv: string[]) => {
  const io = captureIo({ DYNAMODB_ENDPOINT: dynamo.endpoint, TABLE_NAME: tableName });
  const code = await run(argv, io);
  return { code, out: io.stdout.text, err: io.stderr.text };
};

describe('callbacks rejected', () => {
  it('lists a day’s kept callbacks, oldest first, with reason, id and size', async () => {
    const { code, out } = await cli('callbacks', 'rejected', '--day', '2026-12-01');
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toEqual([
      '2026-12-01T23:24:13.639Z  malformed JSON  text/plain  8 bytes',
      '2026-12-01T23:24:14.639Z  data.data.sceneInstance.companyId: missing or not an id  (CALL_INSTANCE_RESULT 77)  application/json;charset=utf-8  12 bytes',
    ]);
  });

  it('--json gives the records, --body the bodies; another day has none', async () => {
    const json = JSON.parse((await cli('callbacks', 'rejected', '--day', '2026-12-01', '--json')).out);
    expect(json).toHaveLength(2);
    expect(json[1]).toMatchObject({ callbackId: '77', body: '{"code":200}', bodyTruncated: false });
    expect((await cli('callbacks', 'rejected', '--day', '2026-12-01', '--body')).out).toContain('not json\n');
    expect((await cli('callbacks', 'rejected', '--day', '2026-11-30')).out).toBe(
      'no unprocessable callbacks on 2026-11-30 (UTC)\n',
    );
    expect((await cli('callbacks', 'rejected', '--day', 'yesterday')).code).toBe(64);
  });
});
