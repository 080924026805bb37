import { describe, expect, it } from 'vitest';
import {
  type EventPattern,
  EventPatternError,
  explainMatch,
  matchPattern,
  validatePattern,
} from '../../../dev/event-pattern.ts';

/*
 * The examples below are AWS's own: events and patterns copied from the EventBridge user guide
 * (each block names its page) and, where a page gives only the rule, from the README of
 * aws/event-ruler, the matcher EventBridge publishes, whose examples the guide repeats. Each case
 * states what AWS says the outcome is; a case AWS does not state is marked as ours.
 */
const DOCS = 'https://docs.aws.amazon.com/eventbridge/latest/userguide';

const expectMatch = (pattern: EventPattern, event: unknown) => {
  const explanation = explainMatch(pattern, event);
  expect(explanation).toEqual({ matched: true, mismatches: [] });
  expect(matchPattern(pattern, event)).toBe(true);
};
const expectNoMatch = (pattern: EventPattern, event: unknown) => {
  const explanation = explainMatch(pattern, event);
  expect(explanation.matched).toBe(false);
  expect(explanation.mismatches.length).toBeGreaterThan(0);
  expect(matchPattern(pattern, event)).toBe(false);
  return explanation.mismatches;
};

/** The Auto Scaling event of AWS's null-values page, used by two of its examples. */
const autoscalingEvent = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

describe(`AWS examples: ${DOCS}/eb-event-patterns.html`, () => {
  const ec2Event = {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '111122223333',
    time: '2017-12-22T18:43:48Z',
    region: 'us-west-1',
    resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
    detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
  };

  it('the instance-termination pattern matches the EC2 event', () => {
    expectMatch(
      {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['terminated'] },
      },
      ec2Event,
    );
  });

  it('values listed for one field are OR: source aws.ec2 or aws.fargate', () => {
    expectMatch({ source: ['aws.ec2', 'aws.fargate'] }, ec2Event);
    expectNoMatch({ source: ['aws.fargate'] }, ec2Event);
  });

  it('field matching: responseElements [null] matches the Auto Scaling event', () => {
    expectMatch(
      {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Successful'],
        detail: { responseElements: [null] },
      },
      autoscalingEvent,
    );
  });

  it('value matching: risk-score 80 and a nested trigger.risk 8 match the Macie alert', () => {
    const macie = {
      version: '0',
      id: '3e355723-fca9-4de3-9fd7-154c289d6b59',
      'detail-type': 'Macie Alert',
      source: 'aws.macie',
      account: '123456789012',
      time: '2017-04-24T22:28:49Z',
      region: 'us-east-1',
      resources: [
        'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id',
        'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id',
      ],
      detail: {
        'notification-type': 'ALERT_CREATED',
        name: 'Scanning bucket policies',
        tags: ['Custom_Alert', 'Insider'],
        'risk-score': 80,
        trigger: { 'alert-type': 'basic', risk: 8 },
      },
    };
    const pattern = {
      source: ['aws.macie'],
      'detail-type': ['Macie Alert'],
      detail: { 'risk-score': [80], trigger: { risk: [8] } },
    };
    expectMatch(pattern, macie);
    // Ours: one field off is one mismatch, named by its full path.
    const mismatches = expectNoMatch(pattern, {
      ...macie,
      detail: { ...macie.detail, trigger: { risk: 7 } },
    });
    expect(mismatches).toEqual([
      { path: 'detail.trigger.risk', expected: [8], actual: 7, reason: 'expected 8; got 7' },
    ]);
  });
});

describe(`AWS examples: ${DOCS}/eb-event-patterns-null-values.html`, () => {
  const event = autoscalingEvent;

  it('[""] matches the empty eventVersion and [null] matches the null responseElements', () => {
    expectMatch({ detail: { eventVersion: [''] } }, event);
    expectMatch({ detail: { responseElements: [null] } }, event);
  });

  it('"null values and empty strings are not interchangeable"', () => {
    expectNoMatch({ detail: { responseElements: [''] } }, event);
    expectNoMatch({ detail: { eventVersion: [null] } }, event);
  });
});

describe(`AWS examples: ${DOCS}/eb-event-patterns-arrays.html`, () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };

  it('matches when the pattern array and the event array intersect', () => {
    expectMatch(pattern, {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    });
  });

  it('does not match when they do not (ours), and says which elements it saw', () => {
    const [m] = expectNoMatch(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-1'] });
    expect(m?.path).toBe('resources');
    expect(m?.reason).toContain('none of ["arn:aws:ec2:us-east-1:999999999999:instance/i-1"] matches');
  });

  it('arrays of objects: fields must match within one element (event-ruler README, "JSON Array Matching")', () => {
    const employees = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expectMatch({ employees: { firstName: ['Anna'] } }, employees);
    expectNoMatch({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees);
    expectMatch(
      { employees: { firstName: ['Anna'] } },
      { employees: [[employees.employees[0]], [employees.employees[1]]] },
    );
  });
});

describe(`AWS examples: ${DOCS}/eb-event-patterns-content-based-filtering.html`, () => {
  // The example event of aws/event-ruler's README, which the guide's rules are written against.
  const rulerEvent = {
    version: '0',
    id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '012345679012',
    time: '2017-10-02T16:24:49Z',
    region: 'us-east-1',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
    detail: {
      'c-count': 5,
      'd-count': 3,
      'x-limit': 301.8,
      'source-ip': '10.0.0.33',
      'instance-id': 'i-000000aaaaaa00000',
      state: 'running',
    },
  };
  const withDetail = (detail: Record<string, unknown>) => ({
    ...rulerEvent,
    detail: { ...rulerEvent.detail, ...detail },
  });

  it('prefix: "time" starting with 2017-10-02, such as "2017-10-02T18:43:48Z"', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expectMatch(pattern, { time: '2017-10-02T18:43:48Z' });
    expectNoMatch(pattern, { time: '2017-10-03T18:43:48Z' });
    // "Prefix matching only works on string-valued fields."
    expectNoMatch({ detail: { 'c-count': [{ prefix: '5' }] } }, rulerEvent);
  });

  it('prefix: Auto Scaling events from European regions', () => {
    const pattern = { source: ['aws.autoscaling'], region: [{ prefix: 'eu-' }] };
    expectMatch(pattern, { source: 'aws.autoscaling', region: 'eu-west-1' });
    expectNoMatch(pattern, { source: 'aws.autoscaling', region: 'us-east-1' });
  });

  it('prefix and suffix ignoring case: service starting with "EventB", FileName ending with ".png"', () => {
    const service = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    for (const s of ['EventBridge', 'EVENTBRIDGE', 'eventbridge'])
      expectMatch(service, { detail: { service: s } });
    expectNoMatch(service, { detail: { service: 'Lambda' } });
    const file = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expectMatch(file, { detail: { FileName: 'image.PNG' } });
    expectNoMatch(file, { detail: { FileName: 'image.jpg' } });
  });

  it('anything-but a string, and a number', () => {
    const state = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expectMatch(state, rulerEvent);
    expectNoMatch(state, withDetail({ state: 'initializing' }));
    const limit = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expectMatch(limit, rulerEvent);
    expectNoMatch(limit, withDetail({ 'x-limit': 123 }));
  });

  it('anything-but a list of strings, and of numbers', () => {
    const state = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expectMatch(state, rulerEvent);
    expectNoMatch(state, withDetail({ state: 'overloaded' }));
    const limit = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expectMatch(limit, rulerEvent);
    expectNoMatch(limit, withDetail({ 'x-limit': 200 }));
  });

  it('anything-but a prefix: state not starting with "init"', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expectMatch(pattern, rulerEvent);
    expectNoMatch(pattern, withDetail({ state: 'initializing' }));
  });

  it('anything-but: everything except CloudTrail API calls; except EC2 and S3; except AWS sources', () => {
    expectNoMatch(
      { 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] },
      { 'detail-type': 'AWS API Call via CloudTrail' },
    );
    expectMatch({ 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] }, rulerEvent);
    const notEc2OrS3 = { source: [{ 'anything-but': ['aws.ec2', 'aws.s3'] }] };
    expectNoMatch(notEc2OrS3, rulerEvent);
    expectMatch(notEc2OrS3, { source: 'byrobot.bridge' });
    const own = { source: [{ 'anything-but': { prefix: 'aws.' } }] };
    expectNoMatch(own, rulerEvent);
    expectMatch(own, { source: 'byrobot.bridge' });
  });

  it('anything-but needs the field to be there (ours, as EventBridge behaves)', () => {
    const [m] = expectNoMatch({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: {} });
    expect(m?.reason).toBe('expected anything but "initializing"; the field is absent');
  });

  it('numeric: c-count in (0, 5], d-count < 10, x-limit = 3.018e2 — true for all fields', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expectMatch(pattern, rulerEvent);
    expectNoMatch(pattern, withDetail({ 'c-count': 0 }));
    expectMatch(pattern, withDetail({ 'c-count': 0.5 }));
    expectNoMatch(pattern, withDetail({ 'c-count': 6 }));
    expectNoMatch(pattern, withDetail({ 'd-count': 10 }));
    // "Numeric matching works with values that are JSON numbers": a numeral in a string is not one.
    const [m] = expectNoMatch(pattern, withDetail({ 'c-count': '5' }));
    expect(m).toMatchObject({ path: 'detail.c-count', actual: '5' });
    expect(m?.reason).toBe(
      'expected a number > 0 and <= 5; got "5" (numeric matching compares JSON numbers only, and this is a string)',
    );
  });

  it('IP address: sourceIPAddress in 10.0.0.0/24, 10.0.0.0 to 10.0.0.255; IPv6 too', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    for (const ip of ['10.0.0.0', '10.0.0.33', '10.0.0.255'])
      expectMatch(pattern, { detail: { sourceIPAddress: ip } });
    for (const ip of ['10.0.1.0', '11.0.0.1', 'not an ip', '::ffff:a00:1'])
      expectNoMatch(pattern, { detail: { sourceIPAddress: ip } });
    const v6 = { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } };
    expectMatch(v6, { detail: { sourceIPAddress: '2001:db8:1::1' } });
    expectNoMatch(v6, { detail: { sourceIPAddress: '2001:db9::1' } });
  });

  it('exists: true matches the EC2 event with detail.state and not the one without', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    expectMatch(pattern, {
      version: '0',
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: '2015-11-11T21:29:54Z',
      region: 'us-east-1',
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
      detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
    });
    const [m] = expectNoMatch(pattern, {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { 'c-count': { c1: 100 } },
    });
    expect(m).toEqual({
      path: 'detail.state',
      expected: [{ exists: true }],
      actual: undefined,
      reason: 'expected present; the field is absent',
    });
  });

  it('exists: false matches an event without detail.c-count, and one where c-count is not a leaf', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expectMatch(pattern, {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'] },
    });
    expectMatch(pattern, {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } },
    });
    expectNoMatch(pattern, rulerEvent);
    // "You could also use { "exists": false } to select events that do not contain a particular field."
    expectMatch({ detail: { description: [{ exists: false }] } }, rulerEvent);
    expectNoMatch({ detail: { description: [{ exists: true }] } }, rulerEvent);
  });

  it('the complex example combining prefix, anything-but and numeric (plus cidr, from event-ruler)', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expectMatch(pattern, rulerEvent);
    // Ours: every failing field is reported, not just the first.
    const mismatches = expectNoMatch(pattern, {
      ...withDetail({ state: 'initializing', 'x-limit': 300 }),
      time: '2017-10-03T00:00:00Z',
    });
    expect(mismatches.map((m) => m.path)).toEqual(['time', 'detail.state', 'detail.x-limit']);
  });

  it('"if you include a key more than once the last reference will be the one used"', () => {
    // JSON.parse keeps the last of repeated keys, as EventBridge does.
    const pattern = JSON.parse(
      '{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}',
    ) as EventPattern;
    expectNoMatch(pattern, { detail: { location: 'us-east' } });
    expectMatch(pattern, { detail: { location: 'eu-west' } });
  });
});

describe(`AWS examples: ${DOCS}/eb-create-pattern-operators.html (the operators table)`, () => {
  it('And: Location is "New York" and Day is "Monday"', () => {
    const pattern = { Location: ['New York'], Day: ['Monday'] };
    expectMatch(pattern, { Location: 'New York', Day: 'Monday' });
    const mismatches = expectNoMatch(pattern, { Location: 'New York', Day: 'Tuesday' });
    expect(mismatches.map((m) => m.path)).toEqual(['Day']);
  });

  it('Begins with / Anything-but (begins with): Region is (not) in the US', () => {
    expectMatch({ Region: [{ prefix: 'us-' }] }, { Region: 'us-east-1' });
    expectNoMatch({ Region: [{ prefix: 'us-' }] }, { Region: 'eu-west-1' });
    expectMatch({ Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'eu-west-1' });
    expectNoMatch({ Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'us-east-1' });
  });

  it('Ends with / Anything-but (ends with): FileName does (not) end with .png', () => {
    expectMatch({ FileName: [{ suffix: '.png' }] }, { FileName: 'photo.png' });
    expectNoMatch({ FileName: [{ suffix: '.png' }] }, { FileName: 'photo.PNG' });
    expectMatch({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'notes.txt' });
    expectNoMatch({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'photo.png' });
  });

  it('Anything-but (ignore case): state is any value besides "initializing", "INITIALIZING", …', () => {
    const pattern = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expectMatch(pattern, { state: 'running' });
    expectNoMatch(pattern, { state: 'INITIALIZING' });
    expectNoMatch(pattern, { state: 'Initializing' });
  });

  it('Anything-but using a wildcard: FilePath is not a path that includes /lib/', () => {
    const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expectMatch(pattern, { FilePath: '/usr/bin/node' });
    expectNoMatch(pattern, { FilePath: '/usr/lib/node' });
  });

  it('Begins with / ends with (ignore case): service starts with "eventb", ends with "tbridge"', () => {
    expectMatch({ service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] }, { service: 'EventBridge' });
    expectMatch({ service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] }, { service: 'EVENTBRIDGE' });
    expectNoMatch({ service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] }, { service: 'EventBus' });
  });

  it('Empty: LastName is empty; Equals: Name is "Alice"; Equals (ignore case)', () => {
    expectMatch({ LastName: [''] }, { LastName: '' });
    expectNoMatch({ LastName: [''] }, { LastName: 'Smith' });
    expectMatch({ Name: ['Alice'] }, { Name: 'Alice' });
    expectNoMatch({ Name: ['Alice'] }, { Name: 'alice' });
    expectMatch({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' });
    expectNoMatch({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alicia' });
  });

  it('Wildcard: "*" matches any run of characters, anchored at both ends (event-ruler "Simple*Service")', () => {
    const pattern = { source: [{ wildcard: 'Simple*Service' }] };
    expectMatch(pattern, { source: 'SimpleQueueService' });
    expectMatch(pattern, { source: 'SimpleService' });
    expectNoMatch(pattern, { source: 'SimpleQueueServices' });
    expectMatch({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'dir/icon.png' });
    expectNoMatch({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'other/dir/icon.png' });
    // An escaped star is a literal star; an escaped backslash a literal backslash.
    expectMatch({ v: [{ wildcard: 'a\\*b' }] }, { v: 'a*b' });
    expectNoMatch({ v: [{ wildcard: 'a\\*b' }] }, { v: 'aXb' });
    expectMatch({ v: [{ wildcard: 'a\\\\b' }] }, { v: 'a\\b' });
  });

  it('$or: source && (metricName || namespace)', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expectMatch(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' });
    expectMatch(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' });
    expectNoMatch(pattern, { source: 'aws.s3', namespace: 'AWS/ES' });
    const mismatches = expectNoMatch(pattern, { source: 'aws.cloudwatch', metricName: 'Other' });
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0]?.path).toBe('$or');
    expect(mismatches[0]?.reason).toBe(
      'none of the 2 alternatives matched: (1) metricName expected "CPUUtilization" or "ReadLatency"; got "Other" (2) namespace expected "AWS/EC2" or "AWS/ES"; the field is absent',
    );
  });

  it('$or nested in detail, with an And inside and a nested $or (event-ruler README)', () => {
    const parallel = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };
    expectMatch(parallel, {
      namespace: 'AWS/EC2',
      detail: { 'detail-type': 'CloudWatch Alarm State Change' },
    });
    const [m] = expectNoMatch(parallel, { namespace: 'AWS/EC2', detail: { source: 'aws.ec2' } });
    expect(m?.path).toBe('detail.$or');
    const nested = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };
    expectMatch(nested, {
      source: 'aws.cloudwatch',
      metricType: 'MetricType',
      namespace: 'AWS/ES',
      spaceId: 1000,
    });
    expectNoMatch(nested, {
      source: 'aws.cloudwatch',
      metricType: 'MetricType',
      namespace: 'AWS/ES',
      spaceId: 1,
    });
    expectMatch(nested, { source: 'aws.cloudwatch', scope: 'Service' });
  });
});

describe('Near misses on the bridge’s own rules', () => {
  const hotLeads = {
    source: ['byrobot.bridge'],
    'detail-type': ['Call Completed'],
    detail: { intentLevel: ['A', 'B'] },
  };
  const call = (intentLevel: string | null) => ({
    source: 'byrobot.bridge',
    'detail-type': 'Call Completed',
    detail: { taskId: 1001, intentLevel, finishStatus: { code: 0, label: 'answered' } },
  });

  it('a C-level call misses on intentLevel alone', () => {
    expectMatch(hotLeads, call('A'));
    expect(explainMatch(hotLeads, call('C'))).toEqual({
      matched: false,
      mismatches: [
        {
          path: 'detail.intentLevel',
          expected: ['A', 'B'],
          actual: 'C',
          reason: 'expected "A" or "B"; got "C"',
        },
      ],
    });
  });

  it('an unanswered call (intentLevel null) and a Task Completed event say what differs', () => {
    expect(explainMatch(hotLeads, call(null)).mismatches.map((m) => m.reason)).toEqual([
      'expected "A" or "B"; got null',
    ]);
    const taskCompleted = {
      source: 'byrobot.bridge',
      'detail-type': 'Task Completed',
      detail: { taskId: 1001 },
    };
    expect(explainMatch(hotLeads, taskCompleted).mismatches).toEqual([
      {
        path: 'detail-type',
        expected: ['Call Completed'],
        actual: 'Task Completed',
        reason: 'expected "Call Completed"; got "Task Completed"',
      },
      {
        path: 'detail.intentLevel',
        expected: ['A', 'B'],
        actual: undefined,
        reason: 'expected "A" or "B"; the field is absent',
      },
    ]);
  });

  it('a status code written as a string is called out as a type mismatch', () => {
    const [m] = expectNoMatch({ detail: { status: { code: [2] } } }, { detail: { status: { code: '2' } } });
    expect(m?.reason).toBe(
      'expected 2; got "2" (exact matching is type-strict: a string never equals a number)',
    );
  });

  it('a field holding an object where the pattern wants a value says so', () => {
    const [m] = expectNoMatch(
      { detail: { status: ['completed'] } },
      { detail: { status: { code: 2, label: 'completed' } } },
    );
    expect(m?.reason).toBe(
      'expected "completed"; the field is an object, not a value (patterns match leaf values only)',
    );
  });
});

describe('Function: validatePattern', () => {
  const rejects = (pattern: unknown, message: string) => {
    expect(() => validatePattern(pattern)).toThrow(EventPatternError);
    expect(() => validatePattern(pattern)).toThrow(message);
  };

  it('accepts every pattern used above and the bridge’s rules', () => {
    expect(() =>
      validatePattern({ detail: { intentLevel: ['A', 'B'], 'c-count': [{ numeric: ['>=', 0, '<', 5] }] } }),
    ).not.toThrow();
  });

  it('throws on an unknown operator, naming the field and the known operators', () => {
    rejects(
      { detail: { name: [{ contains: 'x' }] } },
      'event pattern: detail.name: unknown operator "contains"; EventBridge knows "prefix"',
    );
  });

  it('throws on a leaf that is not an array', () => {
    rejects(
      { detail: { intentLevel: 'A' } },
      'event pattern: detail.intentLevel: must be an array of values (e.g. ["A"]) or a nested object, got string "A"',
    );
    rejects({ count: 5 }, 'count: must be an array of values (e.g. [5])');
  });

  it('throws on a pattern that is not an object, an empty array, a matcher with two operators', () => {
    rejects([], 'event pattern: must be a JSON object, got an array');
    rejects({ source: [] }, 'source: an empty array matches nothing');
    rejects({ source: [{ prefix: 'a', suffix: 'b' }] }, 'a matcher object takes exactly one operator');
    rejects({ source: [['a']] }, 'values must not be nested arrays');
  });

  it('throws on malformed operator arguments', () => {
    rejects({ n: [{ numeric: ['<', 5, '>', 0] }] }, 'n: numeric: takes');
    rejects({ n: [{ numeric: ['>', 5, '<', 1] }] }, 'n: numeric: takes');
    rejects({ n: [{ numeric: ['==', 5] }] }, 'n: numeric: takes');
    rejects({ n: [{ numeric: ['>', '5'] }] }, 'n: numeric: takes');
    rejects({ n: [{ exists: 'yes' }] }, 'n: exists: takes true or false');
    rejects({ n: [{ prefix: 5 }] }, 'n: prefix: takes a string');
    rejects({ n: [{ cidr: '10.0.0.0/33' }] }, 'n: cidr: takes an IPv4 or IPv6 CIDR block');
    rejects({ n: [{ wildcard: 'dir/**.png' }] }, 'consecutive wildcard characters are not allowed');
    rejects({ n: [{ wildcard: 'a\\b' }] }, 'a backslash may only escape * or \\');
    rejects({ n: [{ 'anything-but': ['a', 1] }] }, 'all strings or all numbers');
    rejects({ n: [{ 'anything-but': { numeric: ['>', 1] } }] }, 'anything-but: takes');
  });

  it('throws on a $or without two alternatives', () => {
    rejects({ $or: [{ a: ['x'] }] }, '$or: must be an array of two or more pattern objects');
    rejects({ detail: { $or: { a: ['x'] } } }, 'detail.$or: must be an array');
  });

  it('matchPattern and explainMatch refuse a malformed pattern too', () => {
    expect(() => matchPattern({ a: 'x' }, {})).toThrow(EventPatternError);
    expect(() => explainMatch({ a: [{ contains: 'x' }] }, {})).toThrow(EventPatternError);
  });
});
