import { describe, expect, it } from 'vitest';
import { EMAIL_TEMPLATE, renderEmail, templatePaths, valueAtPath } from '../../../shared/notify/email.ts';

/*
 * What EventBridge's input transformer writes into a text template, per
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html:
 * strings unquoted and unescaped, a path missing from the event as nothing, other values as JSON.
 */
const callCompleted = {
  version: '0',
  id: 'e1',
  'detail-type': 'Call Completed',
  source: 'byrobot.bridge',
  time: '2026-11-25T05:05:59Z',
  detail: {
    eventId: 'ev-1',
    companyId: 1,
    taskId: 1001,
    taskName: '演示任务',
    callInstanceId: 100002,
    intentLevel: 'B',
    status: { code: 2, label: 'completed' },
    finishStatus: { code: 0, label: 'answered' },
    customer: { name: '王芳', phone: '13900000002' },
  },
};

describe('Function: renderEmail', () => {
  it('fills every path of the template from a Call Completed event, strings as they are', () => {
    expect(renderEmail(callCompleted)).toBe(
      [
        'byrobot-bridge: Call Completed at 2026-11-25T05:05:59Z',
        'Task 演示任务 (id 1001, company 1)',
        'Status: completed · intent level: B · outcome: answered',
        'Customer: 王芳 · call 100002',
        'Event id: ev-1',
      ].join('\n'),
    );
  });

  it('renders a path the event lacks as nothing (Task Completed has no call, customer or intent)', () => {
    const taskCompleted = {
      'detail-type': 'Task Completed',
      time: '2026-11-25T05:06:31Z',
      detail: {
        eventId: 'ev-2',
        companyId: 1,
        taskId: 1001,
        taskName: '演示任务',
        status: { code: 2, label: 'completed' },
      },
    };
    expect(renderEmail(taskCompleted).split('\n')).toEqual([
      'byrobot-bridge: Task Completed at 2026-11-25T05:06:31Z',
      'Task 演示任务 (id 1001, company 1)',
      'Status: completed · intent level:  · outcome: ',
      'Customer:  · call ',
      'Event id: ev-2',
    ]);
  });

  it('renders a present null as null, and numbers, booleans, objects and arrays as minified JSON', () => {
    const template = ['<$.detail.a>|<$.detail.b>|<$.detail.c>|<$.detail.d>|<$.detail.e>|<$.detail.f>'];
    const event = {
      detail: { a: null, b: 80, c: true, d: { code: 1, label: 'x y' }, e: ['A', 2], f: 'say "hi"' },
    };
    expect(renderEmail(event, template)).toBe('null|80|true|{"code":1,"label":"x y"}|["A",2]|say "hi"');
  });

  it('an unanswered call: intentLevel and finishStatus present as null read "null", not blank', () => {
    const unanswered = {
      ...callCompleted,
      detail: { ...callCompleted.detail, intentLevel: null, finishStatus: null },
    };
    expect(renderEmail(unanswered).split('\n')[2]).toBe('Status: completed · intent level: null · outcome: ');
  });
});

describe('Function: templatePaths and valueAtPath', () => {
  it('lists each path once, in order of first use, as infra turns them into EventFields', () => {
    expect(templatePaths()).toEqual([
      '$.detail-type',
      '$.time',
      '$.detail.taskName',
      '$.detail.taskId',
      '$.detail.companyId',
      '$.detail.status.label',
      '$.detail.intentLevel',
      '$.detail.finishStatus.label',
      '$.detail.customer.name',
      '$.detail.callInstanceId',
      '$.detail.eventId',
    ]);
    expect(templatePaths(['<$.a> <$.a> <$.b>'])).toEqual(['$.a', '$.b']);
    expect(EMAIL_TEMPLATE.length).toBeGreaterThan(0);
  });

  it('follows dashed names and stops at leaves and arrays', () => {
    expect(valueAtPath(callCompleted, '$.detail-type')).toBe('Call Completed');
    expect(valueAtPath(callCompleted, '$.detail.status')).toEqual({ code: 2, label: 'completed' });
    expect(valueAtPath(callCompleted, '$.detail.taskId.nothing')).toBeUndefined();
    expect(valueAtPath({ a: [{ b: 1 }] }, '$.a.b')).toBeUndefined();
    expect(valueAtPath(callCompleted, '$')).toBe(callCompleted);
  });
});
