import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynalite } from '../../dev/dynamo.ts';
import { createDocumentClient, ensureTable } from '../../shared/store/dynamo.ts';

/*
 * `npm start -- --data-dir <dir>`: dynalite on LevelDB (classic-level's prebuilt binary, no install
 * scripts) keeps the table across runs. Two dynalite instances, one after the other, on one directory.
 */

const running: LocalDynamo[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.close()));
});

async function start(path?: string) {
  const dynamo = await startDynalite(path ? { path } : {});
  running.push(dynamo);
  return { dynamo, doc: createDocumentClient({ endpoint: dynamo.endpoint }) };
}

const key = { pk: 'TASK#1001', sk: 'SNAPSHOT' };

describe('Function: startDynalite', () => {
  it('keeps a table and its items in --data-dir for the next instance on the same directory', async () => {
    // Prepare: a directory whose parent does not exist yet, as `.local/dynamo` on a fresh clone
    const dir = join(mkdtempSync(join(tmpdir(), 'dynalite-')), 'nested', 'dynamo');
    const first = await start(dir);
    await ensureTable(first.doc, 'byrobot-bridge-local');
    await first.doc.send(
      new PutCommand({ TableName: 'byrobot-bridge-local', Item: { ...key, status: 2, version: 7 } }),
    );
    first.doc.destroy();
    await first.dynamo.close();
    running.splice(running.indexOf(first.dynamo), 1);

    // Act: a new instance, as the next `npm start`
    const second = await start(dir);
    const { Item } = await second.doc.send(new GetCommand({ TableName: 'byrobot-bridge-local', Key: key }));
    second.doc.destroy();

    // Assess
    expect(Item).toEqual({ ...key, status: 2, version: 7 });
  });

  it('keeps nothing without a path: a new instance starts with no table', async () => {
    // Prepare
    const first = await start();
    await ensureTable(first.doc, 'byrobot-bridge-local');
    await first.doc.send(new PutCommand({ TableName: 'byrobot-bridge-local', Item: { ...key, status: 2 } }));
    first.doc.destroy();

    // Act
    const second = await start();
    const read = second.doc.send(new GetCommand({ TableName: 'byrobot-bridge-local', Key: key }));

    // Assess
    await expect(read).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    second.doc.destroy();
  });

  it('refuses a directory another live process holds, naming it, and takes over one whose holder died', async () => {
    // Prepare: a directory another process (a live one) claims, as a second npm start would find it
    const dir = join(mkdtempSync(join(tmpdir(), 'dynalite-owned-')), 'dynamo');
    mkdirSync(dir, { recursive: true });
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(
        join(dir, 'OWNER.json'),
        JSON.stringify({
          pid: other.pid,
          command: 'local/start.ts --data-dir x',
          since: '2026-12-01T00:00:00Z',
        }),
      );

      // Act / Assess: refused, naming the process
      await expect(startDynalite({ path: dir })).rejects.toThrow(
        new RegExp(`in use by process ${other.pid} \\(local/start\\.ts --data-dir x`),
      );
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    // Its holder is gone (as after kill -9): this run takes the directory over.
    const { doc } = await start(dir);
    await ensureTable(doc, 'owned');
  });
});
