import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Delivery } from '../../infra/constructs/delivery.ts';
import { MAX_ATTEMPTS } from '../../shared/delivery/destinations.ts';
import { NOTIFICATION_RULES } from '../../shared/notify/rules.ts';

/*
 * The Delivery construct alone, with the dev stage's rules (shared/notify/rules.ts: hot leads to
 * DingTalk, WeCom and Feishu; every event to a signed webhook): cheaper than the whole stack, which
 * test/infra/stack.test.ts synthesizes with cdk-nag (the pause alarms' ops-topic action is asserted
 * there, as every alarm's). Bundling is skipped; test/bundles builds the deliver bundle.
 */

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let resources: Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const deliverers = () =>
  ofType('AWS::Lambda::Function').filter(
    ([, r]) =>
      (r.Properties.Environment as { Variables: Record<string, unknown> })?.Variables?.DESTINATION_KIND,
  );

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'DeliveryTest');
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
  });
  new Delivery(stack, 'Delivery', {
    stage: 'dev',
    bus: new events.EventBus(stack, 'Bus'),
    eventSource: 'byrobot.bridge',
    rules: NOTIFICATION_RULES.dev!,
    table,
    removalPolicy: RemovalPolicy.DESTROY,
    logRetention: logs.RetentionDays.ONE_WEEK,
  });
  resources = Template.fromStack(stack).toJSON().Resources as Resources;
});

describe('Construct: Delivery', () => {
  it('synthesizes one deliverer per destination kind, each told only its own secret’s name', () => {
    const kinds = deliverers().map(
      ([, r]) => (r.Properties.Environment as { Variables: Record<string, string> }).Variables,
    );
    expect(kinds.map((v) => v.DESTINATION_KIND).sort()).toEqual(['dingtalk', 'feishu', 'webhook', 'wecom']);
    for (const v of kinds) expect(v.DESTINATION_SECRET).toMatch(/^byrobot-bridge\/dev\//);
    // No URL, key or secret value in the template.
    expect(JSON.stringify(resources)).not.toMatch(/oapi\.dingtalk\.com|qyapi\.weixin|open\.feishu|whsec_/);
  });

  it('gives each destination a queue whose redrive policy dead-letters after the whole retry schedule', () => {
    const queues = ofType('AWS::SQS::Queue').filter(([, r]) =>
      String(r.Properties.QueueName ?? '').match(
        /^byrobot-bridge-dev-(hot-leads-chat|all-events-webhook)-[a-z]+$/,
      ),
    );
    expect(queues).toHaveLength(4);
    for (const [, q] of queues) {
      expect((q.Properties.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount).toBe(MAX_ATTEMPTS);
      expect(q.Properties.VisibilityTimeout).toBe(360);
    }
  });

  it('lets a deliverer read only its own secret, change visibility only on its own queue, and never delete or scan the table', () => {
    const roles = deliverers().map(
      ([, f]) => (f.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
    );
    const deliverPolicies = roles.map((role) =>
      ofType('AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
        .map(([, p]) => JSON.stringify(p.Properties.PolicyDocument))
        .join(' '),
    );
    expect(deliverPolicies).toHaveLength(4);
    for (const p of deliverPolicies) {
      expect(p).not.toMatch(/dynamodb:(DeleteItem|Scan|Query|BatchWriteItem)/);
      expect(p).not.toContain('events:PutEvents');
      expect((p.match(/secretsmanager:GetSecretValue/g) ?? []).length).toBe(1);
    }
  });

  it('partial batch failures on each SQS event source, at most 2 at once', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) =>
        (m.Properties.ScalingConfig as { MaximumConcurrency?: number })?.MaximumConcurrency === 2 &&
        m.Properties.BatchSize === 5,
    );
    expect(mappings.length).toBeGreaterThanOrEqual(4);
    for (const [, m] of mappings)
      expect(m.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('alarms when a destination pauses, on the metric the deliverer emits for it', () => {
    const paused = ofType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => a.MetricName === 'DestinationPaused');
    expect(
      paused
        .map(
          (a) =>
            (a.Dimensions as { Name: string; Value: string }[]).find((d) => d.Name === 'Destination')!.Value,
        )
        .sort(),
    ).toEqual([
      'all-events-webhook-webhook',
      'hot-leads-chat-dingtalk',
      'hot-leads-chat-feishu',
      'hot-leads-chat-wecom',
    ]);
    for (const a of paused)
      expect(a).toMatchObject({ Namespace: 'ByrobotBridge', Threshold: 1, TreatMissingData: 'notBreaching' });
  });
});
