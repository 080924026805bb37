import { describe, expect, it } from 'vitest';
import { detailJsonSchema, EVENT_CATALOGUE } from '../../../dev/event-catalogue.ts';
import {
  EMAIL_TEMPLATE,
  EMAIL_TEMPLATES,
  emailTemplateFor,
  renderEmail,
  templatePaths,
  valueAtPath,
} from '../../../shared/notify/email.ts';

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
    properties: { crmId: 'DEMO-2' },
    durationSeconds: 90,
    chatRounds: 12,
    endTime: '2026-11-25T13:05:58+08:00',
    recording: { url: 'https://recordings.example.com/100002.wav', customerUrl: null },
  },
};
const callTemplate = EMAIL_TEMPLATES['Call Completed']!;

describe('Function: renderEmail', () => {
  it('fills every path of the Call Completed template, strings as they are, and never the phone', () => {
    const body = renderEmail(callCompleted, callTemplate);
    expect(body).toBe(
      [
        'byrobot-bridge: call 100002 completed at 2026-11-25T13:05:58+08:00',
        'Task 演示任务 (id 1001, company 1)',
        'Customer: 王芳 · CRM id: DEMO-2',
        'Outcome: answered · intent level: B · 90 s, 12 rounds',
        'Recording: https://recordings.example.com/100002.wav',
        'Event id: ev-1',
      ].join('\n'),
    );
    expect(body).not.toContain('13900000002');
  });

  it('the generic template, for rules over several detail types', () => {
    expect(renderEmail(callCompleted)).toBe(
      [
        'byrobot-bridge: Call Completed at 2026-11-25T05:05:59Z',
        'Task 演示任务 (id 1001, company 1)',
        'Event id: ev-1 (the whole event is in the bus archive)',
      ].join('\n'),
    );
  });

  it('picks the detail type’s template only when the pattern names exactly one type', () => {
    expect(emailTemplateFor({ 'detail-type': ['Task Completed'] })).toBe(EMAIL_TEMPLATES['Task Completed']);
    expect(emailTemplateFor({ 'detail-type': ['Task Completed', 'Call Completed'] })).toBe(EMAIL_TEMPLATE);
    expect(emailTemplateFor({ 'detail-type': [{ prefix: 'Task' }] })).toBe(EMAIL_TEMPLATE);
    expect(emailTemplateFor({ detail: { intentLevel: ['A'] } })).toBe(EMAIL_TEMPLATE);
    expect(emailTemplateFor({ 'detail-type': ['Something Else'] })).toBe(EMAIL_TEMPLATE);
  });

  it('renders a path the event lacks as nothing', () => {
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
    expect(renderEmail(taskCompleted, EMAIL_TEMPLATES['Task Completed']).split('\n')).toEqual([
      'byrobot-bridge: task 演示任务 completed at ',
      'Task id 1001, company 1, robot ',
      'Calls:  of  done ·  answered ·  rejected ·  unreachable',
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
    expect(renderEmail(unanswered, callTemplate).split('\n')[3]).toBe(
      'Outcome:  · intent level: null · 90 s, 12 rounds',
    );
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

describe('Templates against the event schemas', () => {
  it('every path of a detail type’s template exists in that type’s JSON Schema (a typo would render blank forever)', () => {
    for (const entry of EVENT_CATALOGUE) {
      const template = EMAIL_TEMPLATES[entry.detailType];
      expect(template, entry.detailType).toBeDefined();
      let schema = detailJsonSchema(entry) as SchemaNode;
      for (const path of templatePaths(template)) {
        if (!path.startsWith('$.detail.')) {
          expect(['$.detail-type', '$.time', '$.id', '$.source']).toContain(path);
          continue;
        }
        schema = detailJsonSchema(entry) as SchemaNode;
        for (const key of path.slice('$.detail.'.length).split('.')) {
          const next = propertiesOf(schema)[key];
          expect(next, `${entry.detailType}: ${path}`).toBeDefined();
          schema = next!;
        }
      }
    }
  });
});

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  additionalProperties?: unknown;
};

/** An object schema's properties, looking through `anyOf` (nullable objects); open records allow any key. */
function propertiesOf(node: SchemaNode): Record<string, SchemaNode> {
  const branches = [node, ...(node.anyOf ?? [])];
  const props = Object.assign({}, ...branches.map((b) => b.properties ?? {})) as Record<string, SchemaNode>;
  if (branches.some((b) => b.additionalProperties && typeof b.additionalProperties === 'object'))
    return new Proxy(props, { get: (t, k: string) => t[k] ?? {} });
  return props;
}
