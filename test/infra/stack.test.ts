import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/bridge-app.ts';
import { FUNCTIONS } from '../../infra/functions.ts';
import { API_ACCESS } from '../../infra/stack.ts';
import { STAGES } from '../../infra/stages.ts';
import { ROUTES } from '../../shared/api/openapi.ts';
import { EMAIL_TEMPLATES, templatePaths } from '../../shared/notify/email.ts';

/*
 * What would hurt if wrong, asserted on the synthesized templates (not a snapshot). Bundling is
 * skipped here ('aws:cdk:bundling-stacks': []): test/bundles builds and runs the real bundles, and
 * test/infra/cdk-cli.test.ts runs `cdk synth` with bundling. cdk-nag runs on every synth below.
 */

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>
>;

function synth(stage: string) {
  const { app, stack } = createApp({ context: { stage, 'aws:cdk:bundling-stacks': [] } });
  app.synth(); // runs the cdk-nag packs; an unacknowledged finding throws
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Resources };
}

const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

/** The logical id of the function of a BridgeFunction with this construct id. */
const functionId = (resources: Resources, constructId: string) => {
  const found = ofType(resources, 'AWS::Lambda::Function').find(([id]) =>
    id.startsWith(`${constructId}Function`),
  );
  if (!found) throw new Error(`no function ${constructId}`);
  return found[0];
};

/** Every IAM action a function's role is allowed, with the resources of each statement. */
function grants(resources: Resources, constructId: string) {
  const fn = resources[functionId(resources, constructId)]!;
  const roleId = ((fn.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'] ?? [])[0];
  const statements = ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(
      ([, p]) =>
        (p.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
  const actions = new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
  return { actions, statements };
}

const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, _d, c: string) => c.toUpperCase());

describe('Stack: byrobot-bridge per stage', () => {
  let dev: ReturnType<typeof synth>;
  let prod: ReturnType<typeof synth>;
  beforeAll(() => {
    dev = synth('dev');
    prod = synth('prod');
  }, 60_000);

  describe('Stages', () => {
    it('names the stack and tags every resource with the stage', () => {
      expect(dev.stack.stackName).toBe('ByrobotBridge-dev');
      expect(prod.stack.stackName).toBe('ByrobotBridge-prod');
      const table = ofType(prod.resources, 'AWS::DynamoDB::Table')[0]![1];
      expect(table.Properties!.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'stage', Value: 'prod' },
          { Key: 'project', Value: 'byrobot-bridge' },
        ]),
      );
    });

    it('refuses an unknown stage, listing the known ones', () => {
      expect(() => createApp({ context: { stage: 'qa' } })).toThrow(/unknown stage "qa".*dev, prod/);
    });
  });

  describe('cdk-nag', () => {
    it('passes AwsSolutions and Serverless with every acknowledgement carrying a reason', () => {
      // synth() above would have thrown on an unacknowledged finding; here, the reasons.
      const acks = dev.stack.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })),
        );
      expect(acks.length).toBeGreaterThan(10);
      for (const a of acks) expect(a.reason.length, a.id).toBeGreaterThan(40);
    });

    it('fails synthesis on a finding nobody acknowledged (the packs really run)', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Bad');
      new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
      expect(() => app.synth()).toThrow();
    });
  });

  describe('Functions', () => {
    it('every function runs nodejs24.x on arm64 with X-Ray, its own log group and Powertools settings', () => {
      const fns = ofType(dev.resources, 'AWS::Lambda::Function');
      // one per entry, the Slack forwarder once per Slack rule (dev has one), the deliverer once
      // per destination
      expect(fns).toHaveLength(
        Object.keys(FUNCTIONS).length -
          2 +
          STAGES.dev!.notifications.filter((r) => r.slackWebhookSecret).length +
          STAGES.dev!.notifications.flatMap((r) => r.destinations ?? []).length,
      );
      for (const [, fn] of fns) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: expect.anything() },
          Environment: {
            Variables: expect.objectContaining({ POWERTOOLS_METRICS_NAMESPACE: 'ByrobotBridge' }),
          },
        });
      }
    });

    it('the poller may put events on its own bus and no other, and never touches the import queue', () => {
      const { actions, statements } = grants(dev.resources, 'Poller');
      const put = statements.filter((s) => [s.Action].flat().includes('events:PutEvents'));
      expect(put).toHaveLength(1);
      const busId = ofType(dev.resources, 'AWS::Events::EventBus')[0]![0];
      expect(put[0]!.Resource).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
      expect([...actions].filter((a) => a.startsWith('sqs:'))).toEqual([]);
    });

    it('each route function gets exactly its own table actions and secrets; readers cannot write', () => {
      for (const [route, access] of Object.entries(API_ACCESS)) {
        const { actions } = grants(dev.resources, pascal(route));
        const dynamo = [...actions].filter((a) => a.startsWith('dynamodb:')).sort();
        expect(dynamo, route).toEqual(access.table.map((a) => `dynamodb:${a}`).sort());
        expect(actions.has('events:PutEvents'), route).toBe(false);
        // delivery-action sends replays to the destinations' queues (infra/constructs/delivery.ts)
        expect(actions.has('sqs:SendMessage'), route).toBe(
          Boolean(access.queue) || route === 'delivery-action',
        );
        expect(actions.has('secretsmanager:GetSecretValue'), route).toBe(access.secrets.length > 0);
      }
      for (const reader of ['GetImport', 'GetCall', 'GetDeliveries', 'Openapi', 'Health']) {
        const { actions } = grants(dev.resources, reader);
        const writes = [...actions].filter((a) =>
          /^(dynamodb:(Put|Update|Delete|BatchWrite)|sqs:SendMessage|events:PutEvents)/.test(a),
        );
        expect(writes, reader).toEqual([]);
      }
    });

    it('serves every route of the shared route table, each with payload v2 to its own function', () => {
      const routes = ofType(dev.resources, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!.RouteKey);
      expect(routes.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
      for (const [, i] of ofType(dev.resources, 'AWS::ApiGatewayV2::Integration'))
        expect(i.Properties!.PayloadFormatVersion).toBe('2.0');
      dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      });
    });
  });

  it('reads source maps at run time in dev only (they cost prod every cold start)', () => {
    const nodeOptions = (resources: Resources) =>
      ofType(resources, 'AWS::Lambda::Function')
        .filter(([id]) => !id.startsWith('Notifications'))
        .map(
          ([, fn]) =>
            (fn.Properties!.Environment as { Variables: Record<string, string> }).Variables.NODE_OPTIONS,
        );
    expect(new Set(nodeOptions(dev.resources))).toEqual(new Set(['--enable-source-maps']));
    expect(new Set(nodeOptions(prod.resources))).toEqual(new Set([undefined]));
  });

  describe('Poll schedule', () => {
    it('runs the poller at the stage rate with no retries and a 60 s maximum event age, dead-lettered', () => {
      const [, schedule] = ofType(dev.resources, 'AWS::Scheduler::Schedule')[0]!;
      expect(schedule.Properties).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [functionId(dev.resources, 'Poller'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          DeadLetterConfig: { Arn: expect.anything() },
        },
      });
    });
  });

  describe('State', () => {
    it('the table is on-demand, encrypted, with PITR and the TTL attribute; protected outside dev', () => {
      for (const [{ resources }, protect, policy] of [
        [dev, false, 'Delete'],
        [prod, true, 'Retain'],
      ] as const) {
        const [, table] = ofType(resources, 'AWS::DynamoDB::Table')[0]!;
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          DeletionProtectionEnabled: protect,
        });
        expect(table.DeletionPolicy).toBe(policy);
      }
    });
  });

  describe('Events', () => {
    it('archives the bus with the stage retention and registers every event schema', () => {
      dev.template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 7 });
      prod.template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 90 });
      expect(STAGES.prod!.archiveRetention.toDays()).toBe(90);
      const schemas = ofType(dev.resources, 'AWS::EventSchemas::Schema');
      expect(schemas.map(([, s]) => s.Properties!.SchemaName).sort()).toEqual([
        'byrobot.bridge@CallCompleted',
        'byrobot.bridge@ImportCompleted',
        'byrobot.bridge@TaskCompleted',
        'byrobot.bridge@TaskStatusChanged',
      ]);
      for (const [, s] of schemas) {
        expect(s.Properties!.Type).toBe('JSONSchemaDraft4');
        const content = JSON.parse(s.Properties!.Content as string) as Record<string, unknown>;
        expect(content.$schema).toBe('http://json-schema.org/draft-04/schema#');
        expect(JSON.stringify(content)).not.toMatch(/"const"|"\$defs"/);
      }
    });

    it('turns each notification rule into a rule with email through an input transformer and Slack, every target retried and dead-lettered', () => {
      const rules = ofType(dev.resources, 'AWS::Events::Rule');
      expect(rules).toHaveLength(STAGES.dev!.notifications.length);
      const hot = rules.find(([, r]) => (r.Properties!.Name as string).endsWith('hot-leads-slack'))![1];
      expect(hot.Properties!.EventPattern).toEqual({
        source: ['byrobot.bridge'],
        'detail-type': ['Call Completed'],
        detail: { intentLevel: ['A', 'B'] },
      });
      for (const [, rule] of rules) {
        for (const target of rule.Properties!.Targets as Record<string, unknown>[]) {
          expect(target).toMatchObject({
            DeadLetterConfig: { Arn: expect.anything() },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          });
        }
      }
      const email = rules.find(([, r]) =>
        (r.Properties!.Name as string).endsWith('task-completed-email'),
      )![1];
      const [target] = email.Properties!.Targets as {
        InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
      }[];
      expect(Object.values(target!.InputTransformer.InputPathsMap)).toContain('$.detail.taskName');
      // the Task Completed template, each path an input-transformer variable
      expect(target!.InputTransformer.InputTemplate).toContain('Calls: <');
      expect(Object.values(target!.InputTransformer.InputPathsMap).sort()).toEqual(
        templatePaths(EMAIL_TEMPLATES['Task Completed']).sort(),
      );
    });

    it('every asynchronous path has a dead-letter queue: subscriptions, the Slack forwarder, the import queue', () => {
      for (const [, sub] of ofType(dev.resources, 'AWS::SNS::Subscription'))
        expect(sub.Properties!.RedrivePolicy).toEqual({ deadLetterTargetArn: expect.anything() });
      const invokeConfigs = ofType(dev.resources, 'AWS::Lambda::EventInvokeConfig');
      const poller = invokeConfigs.find(([id]) => id.startsWith('PollerFunction'))![1];
      expect(poller.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
      const slack = invokeConfigs.find(([id]) => id.startsWith('Notifications'))![1];
      expect(slack.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: expect.anything() } },
      });
      const queue = ofType(dev.resources, 'AWS::SQS::Queue').find(([id]) => id.startsWith('ImportQueue'))![1];
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        RedrivePolicy: { maxReceiveCount: 5 },
      });
      expect(queue.Properties!.VisibilityTimeout).toBeGreaterThanOrEqual(
        6 * FUNCTIONS['import-worker'].timeoutSeconds,
      );
      dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
      for (const [id, q] of ofType(dev.resources, 'AWS::SQS::Queue'))
        expect(q.Properties!.SqsManagedSseEnabled, id).toBe(true);
      // TLS only on every queue
      const policies = ofType(dev.resources, 'AWS::SQS::QueuePolicy');
      expect(policies.length).toBe(ofType(dev.resources, 'AWS::SQS::Queue').length);
      for (const [, p] of policies)
        expect(JSON.stringify(p.Properties!.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    });
  });

  describe('Operations', () => {
    it('alarms on poller errors, a silent poller, byrobot refusals, API 5xx and every dead-letter queue, all to the ops topic', () => {
      const alarms = ofType(dev.resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
      const names = alarms.map((a) => (a.AlarmName as string).replace('byrobot-bridge-dev-', ''));
      expect(names).toEqual(
        expect.arrayContaining([
          'PollerErrors',
          'PollerSilent',
          'Byrobot401',
          'Byrobot403',
          'Byrobot408',
          'Api5xx',
        ]),
      );
      const dlqs = ofType(dev.resources, 'AWS::SQS::Queue').filter(
        ([id]) => !id.startsWith('ImportQueue') && !/^Delivery.*Queue[0-9A-F]{8}$/.test(id),
      );
      expect(names.filter((n) => n.startsWith('Dlq-'))).toHaveLength(dlqs.length);
      const silent = alarms.find((a) => (a.AlarmName as string).endsWith('PollerSilent'))!;
      expect(silent).toMatchObject({ EvaluationPeriods: 5, TreatMissingData: 'breaching', Threshold: 1 });
      const opsTopic = ofType(dev.resources, 'AWS::SNS::Topic').find(([id]) =>
        id.startsWith('OperationsOpsTopic'),
      )![0];
      for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: opsTopic }]);
      expect(ofType(dev.resources, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    });
  });

  describe('Secrets', () => {
    it('references secrets by name only: no secret resource, no secret value anywhere in the template', () => {
      for (const { resources } of [dev, prod]) {
        expect(ofType(resources, 'AWS::SecretsManager::Secret')).toEqual([]);
        const text = JSON.stringify(resources);
        expect(text).not.toMatch(/whsec_|hooks\.slack\.com|appSecret|sha256:[0-9a-f]{64}/);
        expect(text).toContain('byrobot-bridge/');
      }
      const poller = dev.resources[functionId(dev.resources, 'Poller')]!;
      expect(
        (poller.Properties!.Environment as { Variables: Record<string, unknown> }).Variables,
      ).toMatchObject({
        BYROBOT_CREDENTIALS_SECRET: 'byrobot-bridge/dev/byrobot-credentials',
      });
    });
  });
});
