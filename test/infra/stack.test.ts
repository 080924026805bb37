import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CI_ACCOUNT, createApp } from '../../infra/bridge-app.ts';
import { tableAccess } from '../../infra/grants.ts';
import { BridgeStack } from '../../infra/stack.ts';
import { STAGES } from '../../infra/stages.ts';
import { API_ROUTES, FUNCTION_NAMES, MANIFEST, ROUTE_NAMES } from '../../shared/manifest.ts';
import { EMAIL_TEMPLATES, templatePaths } from '../../shared/notify/email.ts';
import { CHAT_DESTINATIONS } from '../../shared/notify/pace.ts';
import { functionCount } from './expected.ts';

/*
 * What would hurt if wrong, asserted on the synthesized templates (not a snapshot). Bundling is
 * skipped here ('aws:cdk:bundling-stacks': []): test/bundles builds and runs the real bundles, and
 * test/infra/cdk-cli.test.ts runs `cdk synth` with bundling. cdk-nag runs on every synth below.
 */

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>
>;

/**
 * One synth (cdk-nag included, no bundling) is a few seconds of CPU; on a shared 2-core machine with
 * other suites and busy processes beside it, it has taken over 30 s of wall time. The limit leaves
 * room for that, not for a hang.
 */
const SYNTH_LIMIT_MS = 120_000;

function synth(stage: string, context: Record<string, unknown> = {}) {
  // ci=true: the stages name no account yet (infra/stages.ts); CI synthesizes for one nobody has.
  const { app, stack } = createApp({
    context: { stage, ci: true, 'aws:cdk:bundling-stacks': [], ...context },
  });
  app.synth(); // runs the cdk-nag packs; an unacknowledged finding throws
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Resources };
}

const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

/** The first resource of a type whose logical id starts with `prefix`, as [logical id, resource]. */
const find = (resources: Resources, type: string, prefix: string) => {
  const found = ofType(resources, type).find(([id]) => id.startsWith(prefix));
  if (!found) throw new Error(`no ${type} ${prefix}…`);
  return found;
};

/** The logical id of the function of a BridgeFunction with this construct id. */
const functionId = (resources: Resources, constructId: string) =>
  find(resources, 'AWS::Lambda::Function', `${constructId}Function`)[0];

const alarmsOf = (resources: Resources) =>
  ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
const alarmNames = (resources: Resources) => alarmsOf(resources).map((a) => a.AlarmName as string);

/** A function's environment variables. */
const envOf = (fn: Resources[string]) =>
  (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

/** Every IAM action a function's role is allowed, with the resources of each statement. */
function grants(resources: Resources, constructId: string) {
  return grantsOf(resources, functionId(resources, constructId));
}

/** The same, for a function by its logical id. */
function grantsOf(resources: Resources, logicalId: string) {
  const fn = resources[logicalId]!;
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
  }, SYNTH_LIMIT_MS * 2);
  const synthOf = (stage: string) => (stage === 'dev' ? dev : prod);

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
    it('every function runs nodejs24.x on arm64 without X-Ray, its own log group and Powertools settings with the stage', () => {
      const fns = ofType(dev.resources, 'AWS::Lambda::Function');
      expect(fns).toHaveLength(functionCount('dev'));
      for (const [, fn] of fns) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          LoggingConfig: { LogGroup: expect.anything() },
          Environment: {
            Variables: expect.objectContaining({
              POWERTOOLS_METRICS_NAMESPACE: 'ByrobotBridge',
              BRIDGE_STAGE: 'dev',
            }),
          },
        });
        // No tracer in any bundle: active tracing would only add cost (bridge-function.ts).
        expect(fn.Properties!.TracingConfig).toBeUndefined();
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
      for (const route of ROUTE_NAMES) {
        const access = MANIFEST[route];
        const { actions } = grants(dev.resources, pascal(route));
        const dynamo = [...actions].filter((a) => a.startsWith('dynamodb:')).sort();
        const expected = new Set(tableAccess(route).flatMap(([, a]) => a.map((x) => `dynamodb:${x}`)));
        expect(dynamo, route).toEqual([...expected].sort());
        expect(actions.has('events:PutEvents'), route).toBe(false);
        // the deliveries client sends replays to the destinations' queues (infra/constructs/delivery.ts)
        expect(actions.has('sqs:SendMessage'), route).toBe(
          (access.clients as readonly string[]).some(
            (c) => c === 'queue' || c === 'deliveries' || c === 'callbackQueue',
          ),
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

    it('table grants: only the actions each function calls, each only on its key prefixes (dynamodb:LeadingKeys)', () => {
      type Statement = { Action: string | string[]; Condition?: Record<string, Record<string, string[]>> };
      // The deliverer runs once per destination (infra/constructs/delivery.ts), each from its record.
      const deliverers = ofType(dev.resources, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .filter((id) => /^Delivery.*DeliverFunction/.test(id));
      expect(deliverers.length).toBeGreaterThan(0);
      const checked = [
        ...FUNCTION_NAMES.filter((n) => n !== 'slack-notify' && n !== 'deliver').map(
          (n) => [n, functionId(dev.resources, pascal(n))] as const,
        ),
        ...deliverers.map((id) => ['deliver', id] as const),
      ];
      for (const [name, logicalId] of checked) {
        const { statements } = grantsOf(dev.resources, logicalId);
        const table = (statements as Statement[]).filter((s) =>
          [s.Action].flat().some((a) => a.startsWith('dynamodb:')),
        );
        const granted = table.flatMap((s) => {
          const prefixes = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
          expect(prefixes, `${name}: a table grant without a key condition`).toBeDefined();
          return [s.Action].flat().flatMap((a) => prefixes!.map((p) => `${a} ${p}`));
        });
        const expected = tableAccess(name).flatMap(([prefix, actions]) =>
          actions.map((a) => `dynamodb:${a} ${prefix}*`),
        );
        expect(granted.sort(), name).toEqual(expected.sort());
      }
      // What the old grants allowed and no code calls.
      const actionsOf = (id: string) => [...grants(dev.resources, id).actions];
      expect(actionsOf('ImportWorker')).not.toContain('dynamodb:PutItem');
      expect(actionsOf('ImportWorker')).not.toContain('dynamodb:Query');
      for (const id of ['ImportCustomers', 'WebhookCustomers'])
        expect(actionsOf(id)).not.toContain('dynamodb:Query');
      expect(tableAccess('create-task').map(([prefix]) => prefix)).toEqual(['IDEM#']);
    });

    it('serves every route of the shared route table, each with payload v2 to its own function', () => {
      const routes = ofType(dev.resources, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!.RouteKey);
      expect(routes.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
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
        .map(([, fn]) => envOf(fn).NODE_OPTIONS);
    expect(new Set(nodeOptions(dev.resources))).toEqual(new Set(['--enable-source-maps']));
    expect(new Set(nodeOptions(prod.resources))).toEqual(new Set([undefined]));
  });

  describe('Push callbacks', () => {
    const env = (resources: Resources, constructId: string) =>
      envOf(resources[functionId(resources, constructId)]!);
    const idOf = (resources: Resources, prefix: string) => find(resources, 'AWS::SQS::Queue', prefix)[0];

    it('the receiver alone gets the callback settings; the poller gets callbacks on|off and the grace period', () => {
      expect(env(prod.resources, 'ReceiveCallback')).toMatchObject({
        CALLBACK_TOKEN_SECRET: 'byrobot-bridge/prod/callback-token',
        CALLBACK_QUEUE_URL: { Ref: idOf(prod.resources, 'CallbackQueue') },
        CALLBACK_SOURCE_IPS: '120.55.46.3',
        CALLBACK_SIGNATURE: 'off',
      });
      expect(env(dev.resources, 'ReceiveCallback')).toMatchObject({ CALLBACK_SOURCE_IPS: '' });
      for (const other of ROUTE_NAMES.filter((n) => n !== 'receive-callback'))
        expect(env(prod.resources, pascal(other)).CALLBACK_TOKEN_SECRET, other).toBeUndefined();
      expect(env(prod.resources, 'Poller')).toMatchObject({
        BRIDGE_CALLBACKS: 'on',
        CALLBACK_GRACE_SECONDS: '120',
      });
      expect(env(dev.resources, 'Poller')).toMatchObject({
        BRIDGE_CALLBACKS: 'off',
        CALLBACK_GRACE_SECONDS: '120',
      });
    });

    it('the receiver may send to the callback queue only and read its token; the processor may not send', () => {
      const receiver = grants(prod.resources, 'ReceiveCallback');
      const sends = receiver.statements.filter((s) => [s.Action].flat().includes('sqs:SendMessage'));
      expect(sends.map((s) => s.Resource)).toEqual([
        { 'Fn::GetAtt': [idOf(prod.resources, 'CallbackQueue'), 'Arn'] },
      ]);
      expect(receiver.actions.has('events:PutEvents')).toBe(false);
      const processor = grants(prod.resources, 'ProcessCallbacks');
      expect(processor.actions.has('events:PutEvents')).toBe(true);
      expect(processor.actions.has('sqs:SendMessage')).toBe(false);
    });

    it('the queue is encrypted, dead-lettered after 5 receives, and drives the processor with partial batch failures', () => {
      const [, queue] = find(prod.resources, 'AWS::SQS::Queue', 'CallbackQueue');
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [idOf(prod.resources, 'CallbackDlq'), 'Arn'] },
          maxReceiveCount: 5,
        },
      });
      const mapping = ofType(prod.resources, 'AWS::Lambda::EventSourceMapping').find(
        ([, m]) =>
          JSON.stringify(m.Properties!.EventSourceArn) ===
          JSON.stringify({ 'Fn::GetAtt': [idOf(prod.resources, 'CallbackQueue'), 'Arn'] }),
      );
      expect(mapping?.[1].Properties).toMatchObject({
        FunctionName: { Ref: functionId(prod.resources, 'ProcessCallbacks') },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('the route is on the API, and the access log carries no path (the token is in it)', () => {
      const routes = ofType(prod.resources, 'AWS::ApiGatewayV2::Route').map(
        ([, r]) => r.Properties!.RouteKey,
      );
      expect(routes).toContain('POST /byrobot/callback/{token}');
      const [, apiStage] = ofType(prod.resources, 'AWS::ApiGatewayV2::Stage')[0]!;
      const format = (apiStage.Properties!.AccessLogSettings as { Format: string }).Format;
      expect(format).toContain('$context.routeKey');
      expect(format).not.toContain('$context.path');
    });

    it('alarms: auth failures, unprocessable callbacks, the callback DLQ, and (callbacks on) the reconciler share', () => {
      const names = (r: Resources) => alarmNames(r).map((n) => n.replace(/^byrobot-bridge-\w+-/, ''));
      expect(names(prod.resources)).toEqual(
        expect.arrayContaining([
          'CallbackAuthFailures',
          'CallbacksUnprocessable',
          'Dlq-callback',
          'ReconcilerShare',
        ]),
      );
      expect(names(dev.resources)).not.toContain('ReconcilerShare');
      const share = alarmsOf(prod.resources).find((a) => String(a.AlarmName).endsWith('ReconcilerShare'))!;
      expect(share.Threshold).toBe(20);
      const metrics = share.Metrics as Array<{
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } };
      }>;
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF((r + p) >= 20, 100 * r / (r + p), 0)');
      expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual([
        'CallsAnnouncedByPush',
        'CallsAnnouncedByReconciler',
      ]);
    });
  });

  describe('Poll schedule', () => {
    it('runs the poller at the stage rate with no retries and a 60 s maximum event age, dead-lettered', () => {
      const [, schedule] = ofType(prod.resources, 'AWS::Scheduler::Schedule')[0]!;
      expect(schedule.Properties).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [functionId(prod.resources, 'Poller'), 'Arn'] },
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
        'byrobot.bridge@CallIntentChanged',
        'byrobot.bridge@ImportCompleted',
        'byrobot.bridge@InboundCallCompleted',
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
      const [, poller] = find(dev.resources, 'AWS::Lambda::EventInvokeConfig', 'PollerFunction');
      expect(poller.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
      const [, slack] = find(dev.resources, 'AWS::Lambda::EventInvokeConfig', 'Notifications');
      expect(slack.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: expect.anything() } },
      });
      const [, queue] = find(dev.resources, 'AWS::SQS::Queue', 'ImportQueue');
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        RedrivePolicy: { maxReceiveCount: 5 },
      });
      expect(queue.Properties!.VisibilityTimeout).toBeGreaterThanOrEqual(
        6 * MANIFEST['import-worker'].timeoutSeconds,
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
      const alarms = alarmsOf(prod.resources);
      const names = alarms.map((a) => (a.AlarmName as string).replace('byrobot-bridge-prod-', ''));
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
      const dlqs = ofType(prod.resources, 'AWS::SQS::Queue').filter(
        ([id]) =>
          !id.startsWith('ImportQueue') &&
          !id.startsWith('CallbackQueue') &&
          !/^Delivery.*Queue[0-9A-F]{8}$/.test(id),
      );
      expect(names.filter((n) => n.startsWith('Dlq-'))).toHaveLength(dlqs.length);
      const silent = alarms.find((a) => (a.AlarmName as string).endsWith('PollerSilent'))!;
      expect(silent).toMatchObject({ EvaluationPeriods: 5, TreatMissingData: 'breaching', Threshold: 1 });
      const [opsTopic] = find(prod.resources, 'AWS::SNS::Topic', 'OperationsOpsTopic');
      for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: opsTopic }]);
      expect(ofType(prod.resources, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    });

    it('alarms when the sweeper finds an import stuck in queueing, on the stage it is deployed to', () => {
      for (const stage of ['dev', 'prod']) {
        const { resources } = synthOf(stage);
        const stuck = alarmsOf(resources).find((a) => a.AlarmName === `byrobot-bridge-${stage}-ImportStuck`);
        expect(stuck, stage).toMatchObject({
          Namespace: 'ByrobotBridge',
          MetricName: 'ImportsStuck',
          Statistic: 'Sum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
        expect(stuck!.Dimensions).toEqual(
          expect.arrayContaining([
            { Name: 'service', Value: 'import-sweeper' },
            { Name: 'stage', Value: stage },
          ]),
        );
        const [opsTopic] = find(resources, 'AWS::SNS::Topic', 'OperationsOpsTopic');
        expect(stuck!.AlarmActions).toEqual([{ Ref: opsTopic }]);
      }
      // The sweep runs every 5 minutes, on every stage (an import can stick in dev too).
      const schedules = ofType(dev.resources, 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties!);
      expect(schedules.map((r) => r.ScheduleExpression)).toContain('rate(5 minutes)');
    });
  });

  describe('The first day: alarms reach a person, stages cannot collide, limits cannot bite', () => {
    type Statement = {
      Effect: string;
      Principal?: { Service?: string };
      Action: string | string[];
      Condition?: Record<string, Record<string, unknown>>;
    };
    const statementsOf = (doc: unknown) => (doc as { Statement: Statement[] }).Statement;
    const allows = (st: Statement, service: string, action: string) =>
      st.Effect === 'Allow' && st.Principal?.Service === service && [st.Action].flat().includes(action);
    const topicPolicy = (resources: Resources, topicId: string) =>
      ofType(resources, 'AWS::SNS::TopicPolicy')
        .map(([, p]) => p.Properties!)
        .find((p) => (p.Topics as { Ref: string }[]).some((t) => t.Ref === topicId));

    it.each(['dev', 'prod'])(
      '%s: every topic an alarm targets lets this stage’s alarms publish, and only them',
      (stage) => {
        const { resources } = synthOf(stage);
        const alarms = alarmsOf(resources);
        const topics = new Set(
          alarms.flatMap((a) =>
            [
              ...((a.AlarmActions as { Ref: string }[]) ?? []),
              ...((a.OKActions as { Ref: string }[]) ?? []),
            ].map((r) => r.Ref),
          ),
        );
        expect(topics.size).toBeGreaterThan(0);
        for (const a of alarms)
          expect(a.AlarmName as string).toMatch(new RegExp(`^byrobot-bridge-${stage}-`));
        for (const topic of topics) {
          const policy = topicPolicy(resources, topic);
          expect(policy, topic).toBeDefined();
          const publish = statementsOf(policy!.PolicyDocument).filter((st) =>
            allows(st, 'cloudwatch.amazonaws.com', 'sns:Publish'),
          );
          expect(publish, topic).toHaveLength(1);
          const sourceArn = JSON.stringify(publish[0]!.Condition!.ArnLike!['aws:SourceArn']);
          expect(sourceArn).toContain(`:cloudwatch:ap-east-1:${CI_ACCOUNT}:alarm:byrobot-bridge-${stage}-*`);
          expect(publish[0]!.Condition!.StringEquals!['aws:SourceAccount']).toBe(CI_ACCOUNT);
        }
        // The topics' key lets the same alarms encrypt, under the same conditions.
        const [, key] = find(resources, 'AWS::KMS::Key', 'TopicKey');
        const keyStatements = statementsOf(key.Properties!.KeyPolicy);
        const cw = keyStatements.filter((st) =>
          allows(st, 'cloudwatch.amazonaws.com', 'kms:GenerateDataKey*'),
        );
        expect(cw).toHaveLength(1);
        expect(JSON.stringify(cw[0]!.Condition!.ArnLike)).toContain(`:alarm:byrobot-bridge-${stage}-*`);
        // EventBridge sends no aws:SourceAccount to KMS: a condition on it would block every delivery.
        const eb = keyStatements.filter((st) => allows(st, 'events.amazonaws.com', 'kms:GenerateDataKey*'));
        expect(eb.length).toBeGreaterThan(0);
        for (const st of eb) expect(JSON.stringify(st.Condition ?? {})).not.toContain('aws:SourceAccount');
      },
    );

    it('every topic an EventBridge rule targets lets EventBridge publish', () => {
      const targeted = ofType(dev.resources, 'AWS::Events::Rule')
        .flatMap(([, r]) => r.Properties!.Targets as { Arn: unknown }[])
        .map((t) => (t.Arn as { Ref?: string }).Ref)
        .filter((ref): ref is string => Boolean(ref) && dev.resources[ref!]?.Type === 'AWS::SNS::Topic');
      expect(targeted.length).toBeGreaterThan(0);
      for (const topic of targeted) {
        const policy = topicPolicy(dev.resources, topic);
        expect(
          statementsOf(policy!.PolicyDocument).some((st) =>
            allows(st, 'events.amazonaws.com', 'sns:Publish'),
          ),
          topic,
        ).toBe(true);
      }
    });

    it.each(['dev', 'prod'])(
      '%s: every bridge metric in every alarm and dashboard widget carries the stage',
      (stage) => {
        const { resources } = synthOf(stage);
        let custom = 0;
        for (const [id, { Properties: a }] of ofType(resources, 'AWS::CloudWatch::Alarm')) {
          if (a!.Namespace === 'ByrobotBridge') {
            custom++;
            expect(a!.Dimensions, id).toContainEqual({ Name: 'stage', Value: stage });
          }
          for (const q of (a!.Metrics as {
            Expression?: string;
            MetricStat?: { Metric: { Namespace: string; Dimensions: unknown[] } };
          }[]) ?? []) {
            if (q.Expression?.includes('ByrobotBridge')) {
              custom++;
              expect(q.Expression, id).toContain(`stage = '${stage}'`);
            }
            if (q.MetricStat?.Metric.Namespace === 'ByrobotBridge') {
              custom++;
              expect(q.MetricStat.Metric.Dimensions, id).toContainEqual({ Name: 'stage', Value: stage });
            }
          }
        }
        expect(custom).toBeGreaterThanOrEqual(3);
        const [, dashboard] = ofType(resources, 'AWS::CloudWatch::Dashboard')[0]!;
        const body = (dashboard.Properties!.DashboardBody as { 'Fn::Join': [string, unknown[]] })[
          'Fn::Join'
        ][1]
          .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
          .join('');
        const searches = body.match(/SEARCH\('\{ByrobotBridge[^']*'/g) ?? [];
        expect(searches.length).toBeGreaterThanOrEqual(3);
        for (const search of searches) expect(search).toContain(`stage=\\"${stage}\\"`);
        const metricArrays = body.match(/\["ByrobotBridge"[^\]]*\]/g) ?? [];
        expect(metricArrays.length).toBeGreaterThan(0);
        for (const m of metricArrays) expect(m).toContain(`"stage","${stage}"`);
      },
    );

    it('byrobot refusals alarm on one Metrics Insights query per outcome: no 10-metric ceiling, however many functions', () => {
      const byrobot = alarmsOf(prod.resources).filter((a) => /-Byrobot\d+$/.test(a.AlarmName as string));
      expect(byrobot).toHaveLength(3);
      for (const a of byrobot) {
        const queries = a.Metrics as { Expression?: string; MetricStat?: unknown; Period?: number }[];
        expect(queries).toHaveLength(1);
        expect(queries[0]!.MetricStat).toBeUndefined();
        const outcome = `code:${(a.AlarmName as string).replace(/.*-Byrobot/, '')}`;
        expect(queries[0]!.Expression).toBe(
          `SELECT SUM(ByrobotErrors) FROM ByrobotBridge WHERE stage = 'prod' AND Outcome = '${outcome}'`,
        );
        expect(queries[0]!.Period).toBe(300);
      }
      // Nowhere a metric-math alarm near the limit.
      for (const [id, { Properties: a }] of ofType(prod.resources, 'AWS::CloudWatch::Alarm'))
        expect(((a!.Metrics as unknown[]) ?? []).length, id).toBeLessThanOrEqual(10);
    });

    it.each(['dev', 'prod'])(
      '%s: no placeholder address reaches the template; addresses are SSM parameters read at deploy time',
      (stage) => {
        const { template, resources } = synthOf(stage);
        const json = template.toJSON() as { Parameters: Record<string, { Type: string; Default: string }> };
        expect(JSON.stringify(json)).not.toMatch(/@example\.|\.invalid|\.test"/);
        const subs = ofType(resources, 'AWS::SNS::Subscription').filter(
          ([, r]) => r.Properties!.Protocol === 'email',
        );
        expect(subs.length).toBeGreaterThanOrEqual(2);
        for (const [id, sub] of subs) {
          const ref = (sub.Properties!.Endpoint as { Ref: string }).Ref;
          expect(json.Parameters[ref], id).toMatchObject({
            Type: 'AWS::SSM::Parameter::Value<String>',
            Default: expect.stringMatching(new RegExp(`^/byrobot-bridge/${stage}/`)),
          });
        }
      },
    );

    it('refuses a placeholder address at synth, naming the setting', () => {
      const make = (settings: typeof STAGES.prod) =>
        new BridgeStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Placeholder', {
          stage: 'prod',
          settings: settings!,
          env: { account: CI_ACCOUNT, region: 'ap-east-1' },
        });
      expect(() => make({ ...STAGES.prod!, alarmEmail: 'ops@example.com' })).toThrow(
        /STAGES\.prod\.alarmEmail .*placeholder address "ops@example\.com"/,
      );
      expect(() =>
        make({
          ...STAGES.prod!,
          notifications: [{ ...STAGES.prod!.notifications[0]!, email: 'calling-team@example.com' }],
        }),
      ).toThrow(/notification rule "task-completed-email".*placeholder/);
    });

    it('pins each stage to its account and region, never the caller’s profile; with credentials at hand a stage with no account refuses to synthesize', () => {
      expect(prod.stack.account).toBe(CI_ACCOUNT);
      expect(prod.stack.region).toBe(STAGES.prod!.region);
      const before = process.env.CDK_DEFAULT_ACCOUNT;
      const bare = { stage: 'prod', 'aws:cdk:bundling-stacks': [] };
      try {
        // Offline (no credentials, as `npx cdk synth -c stage=prod` in CI): the documentation account.
        delete process.env.CDK_DEFAULT_ACCOUNT;
        expect(createApp({ context: bare }).stack.account).toBe(CI_ACCOUNT);
        // A profile for another account: never its account; unpinned, it refuses naming the setting.
        process.env.CDK_DEFAULT_ACCOUNT = '999999999999';
        expect(createApp({ context: { ...bare, ci: true } }).stack.account).toBe(CI_ACCOUNT);
        expect(() => createApp({ context: bare })).toThrow(/STAGES\.prod\.account/);
      } finally {
        if (before === undefined) delete process.env.CDK_DEFAULT_ACCOUNT;
        else process.env.CDK_DEFAULT_ACCOUNT = before;
      }
    });

    it('retained resources carry no physical name, so a stage can be re-created after cdk destroy', () => {
      const retained = Object.entries(prod.resources).filter(([, r]) => r.DeletionPolicy === 'Retain');
      expect(retained.length).toBeGreaterThan(5);
      for (const [id, r] of retained)
        for (const name of ['QueueName', 'TableName', 'LogGroupName', 'TopicName', 'FunctionName'])
          expect(r.Properties?.[name], `${id}.${name}`).toBeUndefined();
    });

    it('the archive holds personal data under its own rotated KMS key, for the retention the stage states', () => {
      for (const stage of ['dev', 'prod']) {
        const { resources } = synthOf(stage);
        const [, archive] = ofType(resources, 'AWS::Events::Archive')[0]!;
        const keyId = (archive.Properties!.KmsKeyIdentifier as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
        expect(resources[keyId]).toMatchObject({
          Type: 'AWS::KMS::Key',
          Properties: { EnableKeyRotation: true },
        });
        expect(archive.Properties!.RetentionDays).toBe(STAGES[stage]!.archiveRetention.toDays());
      }
    });

    it(
      'dev does not poll byrobot unless asked (-c poll=on); prod does',
      () => {
        const state = (resources: Resources) =>
          ofType(resources, 'AWS::Scheduler::Schedule')[0]![1].Properties!.State;
        expect(state(dev.resources)).toBe('DISABLED');
        expect(state(prod.resources)).toBe('ENABLED');
        // A schedule that does not run must not page "poller silent" for ever.
        expect(alarmNames(dev.resources).filter((n) => n.endsWith('PollerSilent'))).toEqual([]);
        const polling = synth('dev', { poll: 'on' });
        expect(state(polling.resources)).toBe('ENABLED');
        expect(alarmNames(polling.resources)).toContain('byrobot-bridge-dev-PollerSilent');
      },
      SYNTH_LIMIT_MS,
    );

    it('every chat forwarder is capped at one post in flight and paced to its destination’s rate', () => {
      const forwarders = ofType(dev.resources, 'AWS::Lambda::Function').filter(
        ([, fn]) => envOf(fn).SLACK_WEBHOOK_SECRET,
      );
      expect(forwarders.length).toBe(STAGES.dev!.notifications.filter((r) => r.slackWebhookSecret).length);
      for (const [id, fn] of forwarders) {
        expect(fn.Properties!.ReservedConcurrentExecutions, id).toBe(
          CHAT_DESTINATIONS.slack.reservedConcurrency,
        );
        expect(envOf(fn).CHAT_MIN_INTERVAL_MS).toBe(String(CHAT_DESTINATIONS.slack.minIntervalMs));
      }
      expect(CHAT_DESTINATIONS.slack).toEqual({ reservedConcurrency: 1, minIntervalMs: 1000 });
      // Only the forwarders reserve concurrency: everything else scales with the account.
      const reserved = ofType(dev.resources, 'AWS::Lambda::Function').filter(
        ([, fn]) => fn.Properties!.ReservedConcurrentExecutions !== undefined,
      );
      expect(reserved.length).toBe(forwarders.length);
    });

    it('no role may write X-Ray traces: tracing is off, and so is its permission', () => {
      for (const [id, p] of ofType(prod.resources, 'AWS::IAM::Policy'))
        expect(JSON.stringify(p.Properties!.PolicyDocument), id).not.toContain('xray:');
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
      expect(envOf(dev.resources[functionId(dev.resources, 'Poller')]!)).toMatchObject({
        BYROBOT_CREDENTIALS_SECRET: 'byrobot-bridge/dev/byrobot-credentials',
      });
    });
  });
});
