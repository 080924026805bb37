import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ByrobotClient } from '../../../shared/byrobot/index.ts';
import { scriptedFetch } from '../../support/scripted-fetch.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/seed/${name}.response.json`, import.meta.url), 'utf8'));

const clientFor = (name: string, before: Parameters<typeof scriptedFetch>[0] = []) => {
  const t = scriptedFetch([...before, { envelope: fixture(name) }]);
  const client = new ByrobotClient({
    baseUrl: 'https://api.example.test',
    appKey: 'k',
    appSecret: 's',
    fetch: t.fetch,
  });
  return { client, t };
};

describe('Seed examples: every example response in the contract is accepted', () => {
  it('start / pause / stop return byrobot’s message', async () => {
    expect(await clientFor('start').client.start(11)).toBe('启动成功');
    expect(await clientFor('pause').client.pause(11)).toBe('启动成功');
    expect(await clientFor('stop').client.stop(11)).toBe('停止成功');
  });

  it('createTask returns the new id', async () => {
    // createTask lists the tasks of that name first (to settle a lost answer): none here.
    const noTasks = { envelope: { code: 200, data: { list: [], total: 0, pages: 0 } } };
    const seedRequest = JSON.parse(
      readFileSync(new URL('../../fixtures/seed/createTask.request.json', import.meta.url), 'utf8'),
    );
    expect(await clientFor('createTask', [noTasks]).client.createTask({ ...seedRequest, callType: 1 })).toBe(
      67,
    );
  });

  it('phoneLogInfo: transcript, properties, intent, times in +08:00', async () => {
    const call = await clientFor('phoneLogInfo').client.phoneLogInfo(540);
    expect(call.callInstanceId).toBe(540);
    expect(call.taskId).toBe(31);
    expect(call.customer).toEqual({ id: 55, name: '不弃', phone: '17751279857' });
    expect(call.finishStatus).toEqual({ code: 0, label: 'answered' });
    expect(call.durationSeconds).toBe(87);
    expect(call.startTime).toBe('2018-01-24T20:51:53+08:00');
    expect(call.redial).toEqual({ times: 2, nextAt: null });
    expect(call.transcript).toHaveLength(3);
    expect(call.transcript[1]).toMatchObject({
      speaker: 'ME',
      role: 'customer',
      content: '喂你好',
      startMs: 300,
    });
    expect(call.intentLevel).toBe('A');
    expect(call.analysis.map((a) => a.name)).toEqual(['预约时间', '客户意向等级']);
    expect(call.properties).toEqual({});
    expect(call.hangUp).toEqual({ code: 0, label: 'AI' });
    expect(call.recording.customerUrl).toMatch(/540_user\.wav$/);
  });

  it('getTasks: a page with null counts kept as null', async () => {
    const page = await clientFor('getTasks').client.getTasks({ companyId: 1 });
    expect(page).toMatchObject({ pageNum: 2, pageSize: 2, total: 46, pages: 23 });
    expect(page.items.map((t) => t.taskId)).toEqual([66, 64]);
    expect(page.items[0]?.status).toEqual({ code: 2, label: 'completed' });
    expect(page.items[0]?.counts.done).toBeNull();
    expect(page.items[1]?.raw).toHaveProperty('sceneDefName', null);
  });

  it('getTaskDetail: statistics and caller lines', async () => {
    const task = await clientFor('getTaskDetail').client.getTaskDetail({ companyId: 1, taskId: 19 });
    expect(task.taskId).toBe(19);
    expect(task.counts).toEqual({
      total: 2,
      done: 2,
      called: 0,
      rejected: 0,
      unavailable: 0,
      fromUnavailable: 2,
    });
    expect(task.durationStat).toEqual([{ name: '<10s', value: 22 }]);
    expect(task.extraStat.客户关注点).toHaveLength(2);
    expect(task.callerLines.map((l) => l.userPhoneId)).toEqual([1, 2]);
    expect(task.resultDefs[0]).toEqual({ name: '催缴结果', values: ['成功', '不成功'] });
  });

  it('notDialedCustomerList: the seed’s bare list', async () => {
    const page = await clientFor('notDialedCustomerList').client.notDialedCustomerList({ taskId: 67 });
    expect(page.items[0]).toMatchObject({
      callInstanceId: 1,
      customer: { name: '张三', phone: '18888888888' },
    });
    expect(page.items[0]?.startTime).toBe('2017-10-17T12:53:03+08:00');
  });

  it('queryDoneTaskPhones: duration "27秒" becomes 27 seconds, newest first kept', async () => {
    const page = await clientFor('queryDoneTaskPhones').client.queryDoneTaskPhones({ taskId: 62 });
    expect(page.items.map((c) => [c.callInstanceId, c.durationSeconds])).toEqual([
      [493, 27],
      [489, 11],
    ]);
    expect(page.items[1]?.redial).toEqual({ times: 1, nextAt: null });
    expect(page.items[0]?.results).toEqual([{ name: '催缴结果', value: '成功' }]);
  });
});
