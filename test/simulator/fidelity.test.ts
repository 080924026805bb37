import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import { type ByrobotClient, signRequest } from '../../shared/byrobot/index.ts';
import { simClient } from '../support/sim-client.ts';

/*
 * What a real byrobot account does that the first simulator did not (issue 11): the seed's own
 * createTask hours, callType required, deletion, createDate, byrobot's own success messages, both
 * notDialedCustomerList forms and their items. Over real HTTP.
 */

let server: RunningSimulator;
let byrobot: ByrobotClient;
beforeAll(async () => {
  server = await startSimulator({ seed: 11 });
  byrobot = simClient(server, { retry: { maxAttempts: 1 } });
});
afterAll(() => server.close());

/** A signed request as byrobot's demos send it, without the client's help. */
async function signed(method: 'GET' | 'POST', endpoint: string, body?: unknown) {
  const res = await fetch(`${server.url}/openapi/${endpoint}`, {
    method,
    headers: {
      ...signRequest('demo-key', 'demo-secret', new Date()),
      'content-type': 'application/json;charset=UTF-8',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as { code: number; data: unknown; resultMsg: string },
  };
}

/** The seed's createTask example with the simulator's own ids for company 1's robot, scene, recording, line. */
const seedBody = () => ({
  ...JSON.parse(readFileSync(new URL('../fixtures/seed/createTask.request.json', import.meta.url), 'utf8')),
  userPhoneIds: [11],
  robotDefId: 101,
  sceneDefId: 201,
  sceneRecordId: 301,
});

describe('Simulator: createTask as a real account answers it', () => {
  it('accepts the seed’s 08:00–22:00 and the demos’ 08:50–23:59 (with callType)', async () => {
    const a = await signed('POST', 'v1/task/createTask', { ...seedBody(), callType: 1 });
    expect(a.json).toMatchObject({ code: 200, resultMsg: '操作成功' });
    const b = await signed('POST', 'v1/task/createTask', {
      ...seedBody(),
      callType: 1,
      workingStartTime: '08:50',
      workingEndTime: '23:59',
    });
    expect(b.json.code).toBe(200);
    const task = server.sim.world().tasks.get(b.json.data as number)!;
    expect([task.workingStartTime, task.workingEndTime]).toEqual(['08:50:00', '23:59:00']);
  });

  it('refuses a task without callType, as task.md marks it required', async () => {
    const r = await signed('POST', 'v1/task/createTask', seedBody());
    expect(r.json).toMatchObject({ code: 412, resultMsg: expect.stringContaining('callType') });
  });

  it('the client derives callType from the lines, so the seed’s body creates a task through it', async () => {
    const taskId = await byrobot.createTask(seedBody());
    expect(server.sim.world().tasks.get(taskId)?.callType).toBe(1); // line 11 is a landline
  });
});

describe('Simulator: byrobot’s own success messages (task.md)', () => {
  it('start 启动成功, pause and stop 执行成功, delete 删除成功', async () => {
    const taskId = await byrobot.createTask({
      ...seedBody(),
      workingStartTime: '00:00',
      workingEndTime: '23:59',
    });
    await byrobot.importCustomers({ companyId: 1, taskId, customers: [{ name: 'a', phone: '13900009999' }] });
    expect(await byrobot.start(taskId)).toBe('启动成功');
    expect(await byrobot.pause(taskId)).toBe('执行成功');
    expect(await byrobot.stop(taskId)).toBe('执行成功');
    expect(await byrobot.delete(taskId)).toBe('删除成功');
  });
});

describe('Simulator: deletion and the getTasks filters', () => {
  it('a deleted task leaves getTasks unless needAll, and answers 404 elsewhere', async () => {
    const taskId = await byrobot.createTask({ ...seedBody(), taskName: '要删除' });
    const ids = async (needAll?: boolean) =>
      (await byrobot.getTasks({ companyId: 1, pageSize: 100, needAll })).items.map((t) => t.taskId);
    expect(await ids()).toContain(taskId);
    // task.md sends the id as a String.
    expect((await signed('POST', 'v1/task/delete', { taskId: String(taskId) })).json.code).toBe(200);
    expect(await ids()).not.toContain(taskId);
    expect(await ids(true)).toContain(taskId);
    await expect(byrobot.getTaskDetail({ companyId: 1, taskId })).rejects.toMatchObject({ code: 404 });
  });

  it('filters on createDate (yyyy-MM-dd, Beijing)', async () => {
    const taskId = await byrobot.createTask({ ...seedBody(), taskName: '按日期' });
    const on = async (createDate: string) =>
      (await byrobot.getTasks({ companyId: 1, pageSize: 100, createDate })).items.map((t) => t.taskId);
    expect(await on('2026-11-23')).toContain(taskId); // the virtual clock's day
    expect(await on('2026-11-22')).toEqual([]);
    expect((await signed('GET', 'v1/task/getTasks?companyId=1&createDate=23-11-2026')).json.code).toBe(412);
  });
});

describe('Simulator: notDialedCustomerList in both forms', () => {
  it('GET answers a bare list; POST a page without totals; items carry corpName and calledTimes', async () => {
    const taskId = await byrobot.createTask({ ...seedBody(), taskName: '未拨打' });
    await byrobot.importCustomers({
      companyId: 1,
      taskId,
      customers: Array.from({ length: 3 }, (_, i) => ({ name: `c${i}`, phone: `1360000000${i}` })),
    });
    const get = await signed('GET', `v1/task/notDialedCustomerList?taskId=${taskId}&pageNum=1&pageSize=2`);
    expect(Array.isArray(get.json.data)).toBe(true);
    const post = await signed('POST', 'v1/task/notDialedCustomerList', { taskId, pageNum: 2, pageSize: 2 });
    expect(Object.keys(post.json.data as object).sort()).toEqual(['list', 'pageNum', 'pageSize']);
    const [item] = (post.json.data as { list: Record<string, unknown>[] }).list;
    expect(item).toMatchObject({ corpName: '百应演示科技有限公司', calledTimes: 0 });
  });
});

describe('Simulator process: no request takes it down (issue 14)', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/byrobot-sim/main.ts', '--port', '0', '--speed', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /ready at (http:\/\/[^\s]+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${out}`)));
    });
  });
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  /** Raw bytes on a socket, as a broken client would send them; resolves when the server is done with it. */
  const rawRequest = (bytes: string, cutShort: boolean) =>
    new Promise<string>((resolve) => {
      const { port, hostname } = new URL(url);
      const socket = connect(Number(port), hostname, () => {
        socket.write(bytes);
        if (cutShort) socket.destroy();
      });
      let answer = '';
      socket.on('data', (d) => {
        answer += d.toString();
      });
      socket.on('close', () => resolve(answer));
      socket.on('error', () => resolve(answer));
    });

  it('an upload cut short, a bad target, a malformed escape, garbage: each answered or closed, the process lives', async () => {
    // An upload that promises 100000 bytes and stops after a few, then disconnects.
    await rawRequest(
      'POST /openapi/v2/task/importTaskCustomer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"companyId":1,',
      true,
    );
    const slash = await rawRequest('GET // HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', false);
    expect(slash).toMatch(/^HTTP\/1\.1 [45]\d\d/);
    const badEscape = await rawRequest(
      'GET /openapi/v1/task/phoneLogInfo?callInstanceId=%E0%A4%A HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
      false,
    );
    expect(badEscape).toMatch(/^HTTP\/1\.1 \d\d\d/);
    const garbage = await rawRequest('NOT HTTP AT ALL\r\n\r\n', false);
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    const absolute = await rawRequest(
      'GET http://[bad/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
      false,
    );
    expect(absolute).toMatch(/^HTTP\/1\.1 4\d\d/);
    // Still alive and answering.
    expect(child.exitCode).toBeNull();
    const clock = await fetch(`${url}/__sim/clock`);
    expect(clock.status).toBe(200);
  });
});
