import { createServer, type IncomingMessage, type Server } from 'node:http';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { RETRY_INTERVALS_MS, type RunningSimulator, startSimulator } from '../../local/byrobot-sim/index.ts';
import { type ByrobotClient, signRequest } from '../../shared/byrobot/index.ts';
import { CallDetailSchema, normalizeCallDetail } from '../../shared/byrobot/models.ts';
import { until } from '../support/processes.ts';
import { simClient } from '../support/sim-client.ts';

/*
 * The simulator pushes callbacks as byrobot does (issue 13, reference/byrobot-docs/callback.md):
 * real HTTP POSTs to a receiver of the test's own (node:http), retried on the virtual clock.
 */

interface Received {
  path: string;
  contentType: string | undefined;
  text: string;
  json: {
    code: number;
    data: { dataType: string; data: Record<string, unknown> };
    resultMsg: string;
    errorStackTrace: null;
  };
}

/** A callback receiver: records every POST and answers what `answer` says (default `success`). */
async function receiver() {
  const received: Received[] = [];
  const state = {
    answer: (_r: Received): { status: number; body: string } | 'hang' => ({ status: 200, body: 'success' }),
  };
  const hanging = new Set<IncomingMessage>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const r: Received = {
      path: req.url ?? '',
      contentType: req.headers['content-type'],
      text,
      json: JSON.parse(text),
    };
    received.push(r);
    const answer = state.answer(r);
    if (answer === 'hang') {
      hanging.add(req);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'text/plain' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url,
    received,
    state,
    of: (dataType: string) => received.filter((r) => r.json.data.dataType === dataType),
  };
}

/** The inbound call a received INBOUND_CALL_INSTANCE_RESULT is about. */
const inboundIdOf = (r: Received) =>
  (r.json.data.data.sceneInstance as { inboundInstanceId: number }).inboundInstanceId;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function sim(options: Parameters<typeof startSimulator>[0] = {}) {
  const s: RunningSimulator = await startSimulator({ seed: 21, ...options });
  closers.push(() => s.close());
  const byrobot = simClient(s, { retry: { maxAttempts: 1 } });
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}/__sim/${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { s, byrobot, control };
}

const people = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({
    name: `p${i}`,
    phone: `1370000${String(i + offset).padStart(4, '0')}`,
    properties: { 活动日期: '12月1日' },
  }));

async function runTask(byrobot: ByrobotClient, companyId: number, customers: number) {
  const taskId = await byrobot.createTask({
    companyId,
    taskName: `推送${companyId}`,
    taskType: 2,
    userPhoneIds: [companyId === 1 ? 11 : 21],
    robotDefId: companyId === 1 ? 101 : 111,
    callType: 1,
    concurrencyQuota: 3,
  });
  await byrobot.importCustomers({ companyId, taskId, customers: people(customers) });
  await byrobot.start(taskId);
  return taskId;
}

const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const withoutRaw = <T extends { raw: unknown }>(x: T) => ({ ...x, raw: undefined });

describe('Simulator push: call records and task status, both content types', () => {
  it('POSTs every finished call with phoneLogInfo’s own detail (json for company 1, text for company 2) and the completion to the task URL', async () => {
    const r = await receiver();
    const { s, byrobot } = await sim({
      callbacks: [
        { companyId: 1, callRecordUrl: `${r.url}/calls`, taskStatusUrl: `${r.url}/tasks` },
        {
          companyId: 2,
          callRecordUrl: `${r.url}/calls2`,
          taskStatusUrl: `${r.url}/tasks2`,
          contentType: 'text',
        },
      ],
    });
    const task1 = await runTask(byrobot, 1, 4);
    const task2 = await runTask(byrobot, 2, 3);
    s.sim.advance(3600);
    await until(
      '7 call records and 2 completions',
      () => r.of('CALL_INSTANCE_RESULT').length === 7 && r.of('JOB_INFO_RESULT').length === 2,
      20_000,
    );

    for (const push of r.of('CALL_INSTANCE_RESULT')) {
      const company = push.json.data.data.sceneInstance as { companyId: number; callInstanceId: number };
      expect(push.path).toBe(company.companyId === 1 ? '/calls' : '/calls2');
      expect(push.contentType).toBe(
        company.companyId === 1 ? 'application/json;charset=utf-8' : 'text/plain;charset=utf-8',
      );
      expect(push.json).toMatchObject({ code: 200, resultMsg: '成功', errorStackTrace: null });
      const data = push.json.data.data;
      expect(Object.keys(data).sort()).toEqual([
        'dateTime',
        'jobFinished',
        'phoneLog',
        'sceneInstance',
        'sign',
        'taskResult',
      ]);
      expect(data.sign).toBeNull();
      expect(data.dateTime).toMatch(RFC1123);
      // What a receiver normalising the push gets is what phoneLogInfo gives for the same call.
      const pushed = normalizeCallDetail(v.parse(CallDetailSchema, data));
      const read = await byrobot.phoneLogInfo(company.callInstanceId);
      expect(withoutRaw(pushed)).toEqual(withoutRaw(read));
      expect(pushed.transcript.length).toBe(read.transcript.length);
      for (const key of ['sceneInstance', 'taskResult', 'phoneLog'])
        expect(data[key]).toEqual((read.raw as Record<string, unknown>)[key]);
    }
    // jobFinished: true on each task's last call only.
    const finished = r.of('CALL_INSTANCE_RESULT').filter((p) => p.json.data.data.jobFinished === true);
    expect(
      finished.map((p) => (p.json.data.data.sceneInstance as { callJobId: number }).callJobId).sort(),
    ).toEqual([task1, task2].sort());

    const jobs = r.of('JOB_INFO_RESULT');
    for (const job of jobs) {
      expect(job.json.resultMsg).toBe('执行成功');
      const d = job.json.data.data;
      expect(job.path).toBe(d.companyId === 1 ? '/tasks' : '/tasks2');
      expect(Object.keys(d).sort()).toEqual(
        [
          'callJobId',
          'companyId',
          'jobName',
          'jobType',
          'startDate',
          'endDate',
          'workingStartTime',
          'workingEndTime',
          'breakStartTime',
          'breakEndTime',
          'status',
          'callType',
          'robotDefId',
          'sceneDefId',
          'sceneRecordId',
          'remark',
          'smsType',
          'smsCondition',
          'smsTemplateId',
          'userId',
          'userName',
        ].sort(),
      );
      expect(d.status).toBe(2);
    }
    const stats = s.sim.stats().pushes;
    expect(stats.call).toMatchObject({ created: 7, attempted: 7, delivered: 7, failed: 0 });
    expect(stats.job).toMatchObject({ created: 2, attempted: 2, delivered: 2 });
    const res = await fetch(`${s.url}/__sim/stats`);
    expect(((await res.json()) as { pushes: unknown }).pushes).toEqual(stats);
  });

  it('pushes a manual pause and a forced arrears, not a start; nothing without a registered URL', async () => {
    const r = await receiver();
    const { s, byrobot, control } = await sim();
    const taskId = await runTask(byrobot, 1, 5);
    expect(s.sim.pushes()).toEqual([]); // nothing registered: nothing made
    expect((await control('POST', 'callbacks', { companyId: 1, taskStatusUrl: `${r.url}/t` })).status).toBe(
      200,
    );
    await byrobot.pause(taskId);
    await control('POST', `tasks/${taskId}/status`, { status: 9 });
    await byrobot.start(taskId);
    await until('two status pushes', () => r.of('JOB_INFO_RESULT').length === 2, 10_000);
    expect(r.of('JOB_INFO_RESULT').map((p) => p.json.data.data.status)).toEqual([4, 9]);
    // No call record URL for company 1: its calls are not pushed.
    s.sim.advance(3600);
    expect(s.sim.pushes({ type: 'call' })).toEqual([]);
  });
});

describe('Simulator push: delivery and the retry schedule', () => {
  it('retries a non-success answer 27 times on callback.md’s schedule (26 h 45 min 40 s), the same bytes each time', async () => {
    const r = await receiver();
    // "success" with a newline, a 500 with "success": neither is exactly success in a 2xx answer.
    let n = 0;
    r.state.answer = () =>
      n++ % 2 === 0 ? { status: 200, body: 'success\n' } : { status: 500, body: 'success' };
    const { s, control } = await sim({ callbacks: [{ companyId: 1, callRecordUrl: `${r.url}/in` }] });
    const made = await control('POST', 'inbound', { companyId: 1, phone: '13512345678' });
    expect(made.status).toBe(201);
    const push = () => s.sim.pushes({ type: 'inbound' })[0]!;
    const answered = (k: number) => () =>
      push().attempts.length === k && push().attempts[k - 1]!.outcome !== 'sending';
    await until('first attempt answered', answered(1), 10_000);
    expect(RETRY_INTERVALS_MS.length).toBe(27);
    for (let k = 0; k < RETRY_INTERVALS_MS.length; k++) {
      expect(push().state).toBe('waiting');
      s.sim.advance(RETRY_INTERVALS_MS[k]! / 1000 - 1);
      expect(push().attempts.length).toBe(k + 1); // not yet due
      s.sim.advance(1);
      expect(push().attempts.length).toBe(k + 2); // sent the moment it is due
      await until(`attempt ${k + 2} answered`, answered(k + 2), 10_000);
    }
    const attempts = push().attempts;
    expect(push().state).toBe('exhausted');
    expect(attempts.map((a) => a.outcome)).toEqual(
      attempts.map((_, i) => (i % 2 === 0 ? 'HTTP 200 "success\\n"' : 'HTTP 500 "success"')),
    );
    expect(attempts.at(-1)!.atMs - attempts[0]!.atMs).toBe(((26 * 60 + 45) * 60 + 40) * 1000);
    expect(new Set(r.received.map((x) => x.text)).size).toBe(1);
    expect(r.received.length).toBe(28);
    s.sim.advance(48 * 3600);
    expect(push().attempts.length).toBe(28);
    expect(s.sim.stats().pushes.inbound).toMatchObject({
      attempted: 28,
      failed: 28,
      delivered: 0,
      exhausted: 1,
    });
  });

  it('stops at success; the undelivered call is listed by queryUnCallBack until a retry is delivered', async () => {
    const r = await receiver();
    r.state.answer = () => ({ status: 200, body: 'fail' });
    const { s, byrobot } = await sim({ callbacks: [{ companyId: 1, callRecordUrl: `${r.url}/c` }] });
    const taskId = await runTask(byrobot, 1, 1);
    s.sim.advance(3600);
    await until(
      'the call pushed and refused',
      () => s.sim.pushes({ type: 'call', state: 'waiting' }).length === 1,
      10_000,
    );
    const callId = (r.received[0]!.json.data.data.sceneInstance as { callInstanceId: number }).callInstanceId;
    const day = (await byrobot.phoneLogInfo(callId)).startTime!.slice(0, 10);
    const page = await byrobot.queryUnCallBack({ companyId: 1, startDate: day, endDate: day });
    expect(page).toMatchObject({ pageNum: 1, pageSize: 100, total: 1, pages: 1 });
    expect(page.items[0]).toMatchObject({
      callInstanceId: callId,
      taskId,
      direction: 'outbound',
      customerPhone: '13700000000',
    });
    expect(Object.keys(page.items[0]!.raw).sort()).toEqual([
      'callInstanceId',
      'callJobId',
      'callerTime',
      'customerTelephone',
    ]);
    expect(page.items[0]!.callerTime).toMatch(new RegExp(`^${day}T\\d{2}:\\d{2}:\\d{2}\\+08:00$`));
    // Filters: another task, another day, inbound records.
    expect(
      (await byrobot.queryUnCallBack({ companyId: 1, taskId: taskId + 1, startDate: day, endDate: day }))
        .total,
    ).toBe(0);
    expect(
      (await byrobot.queryUnCallBack({ companyId: 1, startDate: '2020-01-01', endDate: '2020-01-02' })).total,
    ).toBe(0);
    expect(
      (await byrobot.queryUnCallBack({ companyId: 1, direction: 'inbound', startDate: day, endDate: day }))
        .total,
    ).toBe(0);
    const walked = [];
    for await (const c of byrobot.undeliveredCallbacks({ companyId: 1, startDate: day, endDate: day }))
      walked.push(c.callInstanceId);
    expect(walked).toEqual([callId]);

    r.state.answer = () => ({ status: 200, body: 'success' });
    // The hour's advance ran past the first retries' times: those went out as soon as each answer
    // was in; the next one waits for its time on the virtual clock.
    const waiting = s.sim.pushes({ type: 'call' })[0]!;
    const tried = waiting.attempts.length;
    s.sim.advance((Date.parse(waiting.nextAt!) - s.sim.world().now) / 1000);
    await until(
      'the retry delivered',
      () => s.sim.pushes({ type: 'call' })[0]!.state === 'delivered',
      10_000,
    );
    expect(s.sim.pushes({ type: 'call' })[0]!.attempts.length).toBe(tried + 1);
    expect((await byrobot.queryUnCallBack({ companyId: 1, startDate: day, endDate: day })).total).toBe(0);
    s.sim.advance(30 * 3600);
    expect(s.sim.pushes({ type: 'call' })[0]!.attempts.length).toBe(tried + 1);
    expect(r.received.length).toBe(tried + 1);
  });

  it('queryUnCallBack is signed and takes page sizes 1–500 only', async () => {
    const { s, byrobot } = await sim();
    const ask = async (query: string, signed = true) => {
      const res = await fetch(`${s.url}/openapi/v1/callBack/queryUnCallBack?${query}`, {
        headers: signed ? { ...signRequest('demo-key', 'demo-secret', new Date()) } : {},
      });
      return (await res.json()) as { code: number; data: unknown; resultMsg: string };
    };
    const base = 'companyId=1&dataType=0&startDate=2026-11-23&endDate=2026-11-23';
    expect((await ask(base, false)).code).toBe(401);
    for (const size of [0, 501]) {
      const refused = await ask(`${base}&pageSize=${size}`);
      expect(refused).toMatchObject({ code: 412, data: null });
      expect(refused.resultMsg).toContain('pageSize');
    }
    for (const size of [1, 500])
      expect(await ask(`${base}&pageSize=${size}`)).toMatchObject({
        code: 200,
        resultMsg: '查询成功',
        data: { pageSize: size, total: 0, pages: 0, list: [] },
      });
    expect(await ask(base)).toMatchObject({ code: 200, data: { pageNum: 1, pageSize: 100 } });
    expect((await ask('companyId=1&startDate=2026-11-23&endDate=2026-11-23')).code).toBe(412); // dataType required
    expect((await ask('companyId=1&dataType=2&startDate=2026-11-23&endDate=2026-11-23')).code).toBe(412);
    expect((await ask('companyId=1&dataType=0&startDate=2026/11/23&endDate=2026-11-23')).code).toBe(412);
    expect((await ask('companyId=1&dataType=0&startDate=2026-11-23')).code).toBe(412);
    expect((await ask('companyId=99&dataType=0&startDate=2026-11-23&endDate=2026-11-23')).code).toBe(403);
    await expect(
      byrobot.queryUnCallBack({
        companyId: 1,
        startDate: '2026-11-23',
        endDate: '2026-11-23',
        pageSize: 501,
      }),
    ).rejects.toThrow(RangeError);
    await expect(
      byrobot.queryUnCallBack({ companyId: 1, startDate: '23/11/2026', endDate: '2026-11-23' }),
    ).rejects.toMatchObject({ field: 'startDate' });
    for (const pageSize of [1, 500])
      expect(
        await byrobot.queryUnCallBack({
          companyId: 1,
          startDate: '2026-11-23',
          endDate: '2026-11-23',
          pageSize,
        }),
      ).toMatchObject({ pageSize, total: 0, items: [] });
  });

  it('a receiver that hangs times out and one that refuses connections fails; the simulator keeps answering meanwhile', async () => {
    const r = await receiver();
    r.state.answer = () => 'hang';
    const { s, byrobot } = await sim({
      pushTimeoutMs: 400,
      callbacks: [
        { companyId: 1, callRecordUrl: `${r.url}/h` },
        { companyId: 2, callRecordUrl: 'http://127.0.0.1:9/none' },
      ],
    });
    s.sim.inbound({ companyId: 1 });
    s.sim.inbound({ companyId: 2 });
    await until('the hanging receiver got it', () => r.received.length === 1, 10_000);
    expect((await byrobot.getCompanys()).length).toBe(2); // answered while a push hangs
    const outcome = (companyId: number) =>
      s.sim.pushes().find((p) => p.companyId === companyId)!.attempts[0]!.outcome;
    await until('both attempts failed', () => s.sim.pushes({ state: 'waiting' }).length === 2, 10_000);
    expect(outcome(1)).toMatch(/^timeout/);
    expect(outcome(2)).toMatch(/^connection error/);
  });
});

describe('Simulator push: controls', () => {
  it('registers, lists and removes callback URLs; refuses a bad URL, company or content type', async () => {
    const r = await receiver();
    const { s, control } = await sim();
    expect(
      await control('POST', 'callbacks', { companyId: 1, callRecordUrl: `${r.url}/c`, contentType: 'text' }),
    ).toMatchObject({
      status: 200,
      json: { companyId: 1, callRecordUrl: `${r.url}/c`, taskStatusUrl: null, contentType: 'text' },
    });
    // A later change keeps what it does not name.
    await control('POST', 'callbacks', { companyId: 1, taskStatusUrl: `${r.url}/t` });
    expect((await control('GET', 'callbacks')).json).toEqual({
      callbacks: [
        { companyId: 1, callRecordUrl: `${r.url}/c`, taskStatusUrl: `${r.url}/t`, contentType: 'text' },
      ],
    });
    for (const bad of [
      { companyId: 1, callRecordUrl: 'ftp://x/y' },
      { companyId: 1, callRecordUrl: 'not a url' },
      { companyId: 42, callRecordUrl: `${r.url}/c` },
      { companyId: 1, contentType: 'xml' },
    ])
      expect((await control('POST', 'callbacks', bad)).status).toBe(400);
    expect((await control('DELETE', 'callbacks/1')).json).toEqual({ callbacks: [] });
    s.sim.inbound({ companyId: 1 });
    expect(s.sim.pushes()).toEqual([]);
    // Registrations outlive a reset (npm start registers its receiver once).
    s.sim.registerCallbacks({ companyId: 2, callRecordUrl: `${r.url}/c` });
    await control('POST', 'reset');
    expect(s.sim.callbacks()).toHaveLength(1);
  });

  it('a manual intent change re-grades what phoneLogInfo answers and pushes callback.md’s minimal body', async () => {
    const r = await receiver();
    const { s, byrobot, control } = await sim({ callbacks: [{ companyId: 1, callRecordUrl: `${r.url}/c` }] });
    await runTask(byrobot, 1, 3);
    s.sim.advance(3600);
    await until('3 call records', () => r.of('CALL_INSTANCE_RESULT').length === 3, 10_000);
    const callId = (r.received[0]!.json.data.data.sceneInstance as { callInstanceId: number }).callInstanceId;
    const before = await byrobot.phoneLogInfo(callId);
    const intentRaw = (d: typeof before) =>
      (d.raw.taskResult as Array<Record<string, unknown>>).find((x) => x.resultName === '客户意向等级')!;
    expect(intentRaw(before)).toMatchObject({ artificialChanged: 0, resultValueAlias: before.intentLevel });
    const level = before.intentLevel === 'A' ? 'B' : 'A';
    const answer = await control('POST', `calls/${callId}/intent`, { level, by: '王经理' });
    expect(answer.status).toBe(200);
    const after = await byrobot.phoneLogInfo(callId);
    expect(after.intentLevel).toBe(level);
    const label = level === 'A' ? 'A级(有明确意向)' : 'B级(可能有意向)';
    expect(intentRaw(after)).toMatchObject({
      resultValue: label,
      artificialResultValue: label,
      artificialChanged: 1,
      resultValueAlias: level,
      resultValueNew: label,
    });
    await until('the re-grade pushed', () => r.received.length === 4, 10_000);
    const pushed = r.received[3]!;
    expect(pushed.path).toBe('/c');
    expect(pushed.json).toEqual({
      code: 200,
      data: {
        dataType: 'CALL_INSTANCE_RESULT',
        data: {
          taskResult: [
            { companyId: 1, sceneInstanceId: callId, resultName: '客户意向等级', resultValue: level },
          ],
        },
      },
      resultMsg: '成功',
      errorStackTrace: null,
    });
    expect(s.sim.pushes({ type: 'intent' })[0]).toMatchObject({ changedBy: '王经理', state: 'delivered' });
    expect((await control('POST', `calls/${callId}/intent`, { level: 'G' })).status).toBe(400);
    expect((await control('POST', 'calls/1/intent', { level: 'A' })).status).toBe(404);
  });

  it('an inbound call pushes INBOUND_CALL_INSTANCE_RESULT in the doc’s sample shape', async () => {
    const r = await receiver();
    const { control } = await sim({
      callbacks: [{ companyId: 2, callRecordUrl: `${r.url}/in`, contentType: 'text' }],
    });
    const made = await control('POST', 'inbound', { companyId: 2, phone: '13812345678', level: 'A' });
    expect(made).toMatchObject({ status: 201, json: { companyId: 2, customerTelephone: '13812345678' } });
    await until('the inbound push', () => r.received.length === 1, 10_000);
    const push = r.received[0]!;
    expect(push.contentType).toBe('text/plain;charset=utf-8');
    expect(push.json.data.dataType).toBe('INBOUND_CALL_INSTANCE_RESULT');
    const d = push.json.data.data as {
      sceneInstance: Record<string, unknown>;
      taskResult: Array<Record<string, unknown>>;
      phoneLog: { phoneLogs: unknown[] };
    };
    expect(Object.keys(d).sort()).toEqual(['dateTime', 'phoneLog', 'sceneInstance', 'sign', 'taskResult']);
    expect(d.sceneInstance).toMatchObject({
      inboundInstanceId: made.json.inboundInstanceId,
      companyId: 2,
      customerTelephone: '13812345678',
      customerName: '未知呼入客户',
      status: 2,
      finishStatus: 0,
      propertiesMap: { 客户名称: '未知呼入客户', 联系方式: '13812345678' },
    });
    expect(typeof d.sceneInstance.calleePhone).toBe('string');
    expect(d.taskResult[0]).toMatchObject({
      resultName: '客户意向等级',
      resultValue: 'A级(有明确意向)',
      resultValueAlias: 'A',
      artificialChanged: false,
      callJobId: null,
    });
    expect(d.phoneLog.phoneLogs.length).toBeGreaterThan(0);
    expect((await control('POST', 'inbound', { companyId: 7 })).status).toBe(400);
  });
});

describe('Simulator push: faults', () => {
  it('drop: never sent, listed by queryUnCallBack, not retried; a fault for another type spares it', async () => {
    const r = await receiver();
    const { s, byrobot, control } = await sim({ callbacks: [{ companyId: 1, callRecordUrl: `${r.url}/c` }] });
    expect((await control('POST', 'faults', { kind: 'drop', callback: 'job' })).status).toBe(201);
    expect(
      (await control('POST', 'faults', { kind: 'drop', callback: 'inbound', times: 1 })).json,
    ).toMatchObject({ kind: 'drop', callback: 'inbound', times: 1 });
    const dropped = s.sim.inbound({ companyId: 1 });
    const sent = s.sim.inbound({ companyId: 1 });
    expect(s.sim.pushes()[0]).toMatchObject({ state: 'dropped', attempts: [] });
    expect(s.sim.pushes()[1]!.attempts).toHaveLength(1); // sent at once
    await until('the second delivered', () => s.sim.pushes()[1]!.state === 'delivered', 10_000);
    s.sim.advance(30 * 3600);
    expect(s.sim.pushes()[0]!.attempts).toEqual([]);
    expect(r.received.map(inboundIdOf)).toEqual([sent.inboundInstanceId]);
    const day = s.sim.world().inboundCalls.get(dropped.inboundInstanceId)!.startTime;
    const date = new Date(day + 8 * 3600_000).toISOString().slice(0, 10);
    const page = await byrobot.queryUnCallBack({
      companyId: 1,
      direction: 'inbound',
      startDate: date,
      endDate: date,
    });
    expect(page.items.map((c) => c.callInstanceId)).toEqual([dropped.inboundInstanceId]);
    expect(s.sim.stats().pushes.inbound).toMatchObject({
      created: 2,
      dropped: 1,
      attempted: 1,
      delivered: 1,
    });
  });

  it('drop at a rate is reproducible under the seed', async () => {
    const droppedIds = async () => {
      const { s } = await sim({
        seed: 5,
        callbacks: [{ companyId: 1, callRecordUrl: 'http://127.0.0.1:9/x' }],
      });
      s.sim.addFault({ kind: 'drop', rate: 0.5 });
      for (let i = 0; i < 20; i++) s.sim.inbound({ companyId: 1 });
      return s.sim.pushes({ state: 'dropped' }).map((p) => p.callInstanceId);
    };
    const a = await droppedIds();
    expect(a.length).toBeGreaterThan(2);
    expect(a.length).toBeLessThan(18);
    expect(await droppedIds()).toEqual(a);
  });

  it('duplicate: the same body twice', async () => {
    const r = await receiver();
    const { s } = await sim({ callbacks: [{ companyId: 1, callRecordUrl: `${r.url}/c` }] });
    s.sim.addFault({ kind: 'duplicate', callback: 'inbound', times: 1 });
    s.sim.inbound({ companyId: 1 });
    await until('two deliveries', () => r.received.length === 2, 10_000);
    expect(r.received[0]!.text).toBe(r.received[1]!.text);
    expect(s.sim.pushes().map((p) => p.duplicateOf)).toEqual([null, s.sim.pushes()[0]!.id]);
    expect(s.sim.stats().pushes.inbound).toMatchObject({ created: 2, duplicated: 1, delivered: 2 });
  });

  it('reorder: held back until the company’s next callback has gone out', async () => {
    const r = await receiver();
    const { s } = await sim({ callbacks: [{ companyId: 1, callRecordUrl: `${r.url}/c` }] });
    s.sim.addFault({ kind: 'reorder', times: 1 });
    const first = s.sim.inbound({ companyId: 1 });
    expect(s.sim.pushes()[0]!.state).toBe('held');
    const second = s.sim.inbound({ companyId: 1 });
    await until('both delivered', () => r.received.length === 2, 10_000);
    const ids = r.received.map(inboundIdOf);
    expect(ids).toEqual([second.inboundInstanceId, first.inboundInstanceId]);
  });

  it('delay: first sent delayMs of virtual time late', async () => {
    const r = await receiver();
    const { s } = await sim({ callbacks: [{ companyId: 1, callRecordUrl: `${r.url}/c` }] });
    s.sim.addFault({ kind: 'delay', callback: 'inbound', delayMs: 90_000 });
    s.sim.inbound({ companyId: 1 });
    s.sim.advance(89);
    expect(s.sim.pushes()[0]!.attempts).toEqual([]);
    s.sim.advance(1);
    expect(s.sim.pushes()[0]!.attempts).toHaveLength(1);
    await until('delivered', () => r.received.length === 1, 10_000);
  });

  it('answerIgnored: a delivered callback counts as failed, is listed, and is retried on the schedule', async () => {
    const r = await receiver();
    const { s, byrobot } = await sim({ callbacks: [{ companyId: 1, callRecordUrl: `${r.url}/c` }] });
    s.sim.addFault({ kind: 'answerIgnored', times: 1 });
    const call = s.sim.inbound({ companyId: 1 });
    await until('the first answer', () => s.sim.pushes()[0]!.state === 'waiting', 10_000);
    expect(s.sim.pushes()[0]!.attempts[0]!.outcome).toBe('success ignored (answerIgnored fault)');
    const date = new Date(call.startTime + 8 * 3600_000).toISOString().slice(0, 10);
    const listed = await byrobot.queryUnCallBack({
      companyId: 1,
      direction: 'inbound',
      startDate: date,
      endDate: date,
    });
    expect(listed.items.map((c) => c.callInstanceId)).toEqual([call.inboundInstanceId]);
    s.sim.advance(10);
    await until('the retry delivered', () => s.sim.pushes()[0]!.state === 'delivered', 10_000);
    expect(r.received).toHaveLength(2);
    expect(s.sim.stats().pushes.inbound).toMatchObject({ attempted: 2, failed: 1, ignored: 1, delivered: 1 });
  });
});
