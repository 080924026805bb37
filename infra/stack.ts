import { join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { API_ROUTES, type FunctionName, ROUTE_NAMES, type RouteName } from '../shared/manifest.ts';
import { refusePlaceholderRecipient } from '../shared/notify/rules.ts';
import { TTL_ATTRIBUTE } from '../shared/store/table.ts';
import { BridgeFunction } from './constructs/bridge-function.ts';
import { Delivery } from './constructs/delivery.ts';
import { Notifications } from './constructs/notifications.ts';
import { Operations } from './constructs/operations.ts';
import { consumedQueue, deadLetterQueue } from './constructs/queues.ts';
import { registrySchemas } from './event-schemas.ts';
import { ROOT } from './functions.ts';
import { type Grantable, grantFromManifest } from './grants.ts';
import { acknowledgeStackFindings } from './nag.ts';
import type { StageSettings } from './stages.ts';

export interface BridgeStackProps extends StackProps {
  stage: string;
  settings: StageSettings;
}

const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, _d, c: string) => c.toUpperCase());

/** How many import-worker invocations SQS may run at once: byrobot rate-limits per app key. */
const IMPORT_WORKER_MAX_CONCURRENCY = 2;
const IMPORT_MAX_RECEIVE_COUNT = 5;
/** A callback that fails five times (byrobot down for its getTaskDetail, a bug) goes to the DLQ. */
const CALLBACK_MAX_RECEIVE_COUNT = 5;
/** Callback processors at once: each does a few ledger writes and one PutEvents per callback. */
const CALLBACK_PROCESSOR_MAX_CONCURRENCY = 5;

/** byrobot-bridge for one stage: table, bus, poller, HTTP API, import queue, notifications, ops. */
export class BridgeStack extends Stack {
  readonly functions: Partial<Record<FunctionName, BridgeFunction>> = {};

  constructor(scope: Construct, id: string, props: BridgeStackProps) {
    super(scope, id, props);
    const { stage, settings: s } = props;
    refuseUndeliverableRecipients(stage, s);
    const fnDefaults = {
      stage,
      logRetention: s.logRetention,
      removalPolicy: s.removalPolicy,
      sourceMapsAtRuntime: s.sourceMapsAtRuntime,
    };
    /** The function of a record of shared/manifest.ts, its construct id the record's name in PascalCase. */
    const bridgeFunction = (name: FunctionName, environment: Record<string, string>) => {
      const fn = new BridgeFunction(this, pascal(name), { ...fnDefaults, name, environment });
      this.functions[name] = fn;
      return fn;
    };
    // ── State ──────────────────────────────────────────────────────────────────────────────
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: s.deletionProtection,
      removalPolicy: s.removalPolicy,
    });

    // ── Events ─────────────────────────────────────────────────────────────────────────────
    const bus = new events.EventBus(this, 'Bus', { eventBusName: `byrobot-bridge-${stage}` });
    // ── Archive: personal data (names, phones, transcripts, recording URLs) under the stage's key
    const archiveKey = new kms.Key(this, 'ArchiveKey', {
      description: `byrobot-bridge ${stage}: the bus archive (Call Completed carries personal data)`,
      enableKeyRotation: true,
      removalPolicy: s.removalPolicy,
    });
    // Not bus.archive(): it drops `kmsKey` (aws-cdk-lib 2.276), and the archive would stay under an
    // AWS-owned key. Same scope and id, so the same logical id.
    new events.Archive(bus, 'Archive', {
      sourceEventBus: bus,
      archiveName: `byrobot-bridge-${stage}`,
      description: `Every event on byrobot-bridge-${stage}, for replay; kept ${s.archiveRetention.toDays()} days`,
      eventPattern: { account: [this.account] },
      retention: s.archiveRetention,
      kmsKey: archiveKey,
    });
    const registry = new eventschemas.CfnRegistry(this, 'SchemaRegistry', {
      registryName: `byrobot-bridge-${stage}`,
      description: 'The events byrobot-bridge publishes (generated from docs/events/*.json)',
    });
    for (const schema of registrySchemas(join(ROOT, 'docs/events'), s.eventSource)) {
      new eventschemas.CfnSchema(this, `Schema${schema.detailType.replace(/[^A-Za-z0-9]/g, '')}`, {
        registryName: registry.attrRegistryName,
        schemaName: schema.name,
        type: 'JSONSchemaDraft4',
        content: schema.content,
        description: `${schema.detailType} (source ${s.eventSource})`,
      });
    }

    // ── Secrets, by name only: values never reach the template ─────────────────────────────
    const secret = (id: string, name: string) => secretsmanager.Secret.fromSecretNameV2(this, id, name);
    const common = {
      TABLE_NAME: table.tableName,
      EVENT_BUS_NAME: bus.eventBusName,
      EVENT_SOURCE: s.eventSource,
      BYROBOT_BASE_URL: s.byrobotBaseUrl,
      BYROBOT_CREDENTIALS_SECRET: s.secrets.byrobotCredentials,
    };

    // ── Poller ─────────────────────────────────────────────────────────────────────────────
    const poller = bridgeFunction('poller', {
      ...common,
      POLL_COMPANIES: s.pollCompanies === 'all' ? 'all' : s.pollCompanies.join(','),
      POLL_BACKFILL: String(s.backfill),
      BYROBOT_MAX_IN_FLIGHT: String(s.maxInFlight),
      // The poller as reconciler (shared/poller/): off polls as before push existed.
      BRIDGE_CALLBACKS: s.callbacks,
      CALLBACK_GRACE_SECONDS: String(s.callbackGraceSeconds),
    });
    const deadLetterQueues: { name: string; queue: sqs.IQueue }[] = [];
    // A function at a rate, never retried (Scheduler, Lambda's async invoke) and stale runs dropped:
    // the next run redoes a failed one. maxEventAge: the rate or less.
    type Run = { description: string; rate: Duration; enabled?: boolean; maxEventAge: Duration };
    const schedule = (id: string, fn: lambda.IFunction, dlqName: string, props: Run) => {
      fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: props.maxEventAge });
      const dlq = deadLetterQueue(this, `${id}Dlq`, s.removalPolicy);
      deadLetterQueues.push({ name: dlqName, queue: dlq });
      return new scheduler.Schedule(this, id, {
        description: `byrobot-bridge ${stage}: ${props.description}`,
        enabled: props.enabled,
        schedule: scheduler.ScheduleExpression.rate(props.rate),
        target: new schedulerTargets.LambdaInvoke(fn, {
          retryAttempts: 0,
          maxEventAge: props.maxEventAge,
          deadLetterQueue: dlq,
        }),
      });
    };
    // A cycle that fails is redone by the next one a minute later: no retries of a stale tick.
    const pollSchedule = schedule('PollSchedule', poller.fn, 'poll schedule', {
      description: 'one poll cycle',
      enabled: s.pollEnabled,
      rate: s.pollRate,
      maxEventAge: Duration.seconds(60),
    });

    // ── Imports: queue → worker ────────────────────────────────────────────────────────────
    // No queue names: prod retains its queues, and a retained name would make re-creating the stage
    // after `cdk destroy` fail. The stack outputs name them (docs/deploy.md, docs/runbook.md).
    const { queue: importQueue, dlq: importDlq } = consumedQueue(this, 'Import', {
      consumer: 'import-worker',
      retentionPeriod: Duration.days(4),
      maxReceiveCount: IMPORT_MAX_RECEIVE_COUNT,
      removalPolicy: s.removalPolicy,
    });
    deadLetterQueues.push({ name: 'import', queue: importDlq });
    // ── Push callbacks: receiver route → queue → processor ─────────────────────────────────
    const { queue: callbackQueue, dlq: callbackDlq } = consumedQueue(this, 'Callback', {
      consumer: 'process-callbacks',
      // Answered `success`, byrobot never sends it again: keep it as long as SQS can.
      retentionPeriod: Duration.days(14),
      maxReceiveCount: CALLBACK_MAX_RECEIVE_COUNT,
      removalPolicy: s.removalPolicy,
    });
    deadLetterQueues.push({ name: 'callback', queue: callbackDlq });
    const worker = bridgeFunction('import-worker', {
      ...common,
      API_KEYS_SECRET: s.secrets.apiKeys,
      IMPORT_MAX_RECEIVE_COUNT: String(IMPORT_MAX_RECEIVE_COUNT),
    });
    worker.fn.addEventSource(
      new SqsEventSource(importQueue, {
        batchSize: 5,
        reportBatchItemFailures: true,
        maxConcurrency: IMPORT_WORKER_MAX_CONCURRENCY,
      }),
    );
    // An import whose sender died before its last SendMessageBatch is finished by this sweep.
    const sweeper = bridgeFunction('import-sweeper', {
      ...common,
      API_KEYS_SECRET: s.secrets.apiKeys,
      IMPORT_QUEUE_URL: importQueue.queueUrl,
    });
    schedule('ImportSweepSchedule', sweeper.fn, 'import sweep schedule', {
      description: 'send the chunks of imports stuck in queueing',
      rate: Duration.minutes(5),
      maxEventAge: Duration.minutes(5),
    });

    const callbackProcessor = bridgeFunction('process-callbacks', {
      ...common,
      API_KEYS_SECRET: s.secrets.apiKeys,
    });
    callbackProcessor.fn.addEventSource(
      new SqsEventSource(callbackQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: CALLBACK_PROCESSOR_MAX_CONCURRENCY,
      }),
    );

    // ── HTTP API: one function per route, each with only its route's permissions ─────────────
    const apiEnv = {
      ...common,
      API_KEYS_SECRET: s.secrets.apiKeys,
      WEBHOOK_SOURCES_SECRET: s.secrets.webhookSources,
      IMPORT_QUEUE_URL: importQueue.queueUrl,
    };
    // The receiver alone learns the callback settings (shared/config/api.ts readCallbackConfig).
    const callbackEnv = {
      CALLBACK_TOKEN_SECRET: s.secrets.callbackToken,
      CALLBACK_QUEUE_URL: callbackQueue.queueUrl,
      CALLBACK_SOURCE_IPS: s.callbackSourceIps.join(','),
      CALLBACK_SIGNATURE: s.callbackSignature ? 'on' : 'off',
    };
    for (const name of ROUTE_NAMES)
      bridgeFunction(name, name === 'receive-callback' ? { ...apiEnv, ...callbackEnv } : apiEnv);
    // What each function may touch: its record in shared/manifest.ts says which of these.
    const grantable: Grantable = {
      table,
      secrets: {
        byrobot: secret('ByrobotCredentials', s.secrets.byrobotCredentials),
        apiKeys: secret('ApiKeys', s.secrets.apiKeys),
        webhooks: secret('WebhookSources', s.secrets.webhookSources),
        callbackToken: secret('CallbackToken', s.secrets.callbackToken),
      },
      importQueue,
      callbackQueue,
      bus,
    };
    for (const [name, fn] of Object.entries(this.functions))
      grantFromManifest(fn.fn, name as FunctionName, grantable);

    const httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `byrobot-bridge-${stage}`,
      description:
        'byrobot-bridge: task actions, imports, calls (auth in the functions: API keys, Standard Webhooks)',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: s.logRetention,
      removalPolicy: s.removalPolicy,
    });
    httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: s.apiThrottle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigwv2AccessLogFormat(),
      },
    });
    const integrations = new Map<RouteName, HttpLambdaIntegration>();
    for (const r of API_ROUTES) {
      let integration = integrations.get(r.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascal(r.fn)}Integration`, this.functions[r.fn]!.fn, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(r.fn, integration);
      }
      httpApi.addRoutes({ path: r.path, methods: [r.method as apigwv2.HttpMethod], integration });
    }
    new CfnOutput(this, 'ApiUrl', { value: httpApi.apiEndpoint });

    // ── Notifications and operations ──────────────────────────────────────────────────────
    const topicKey = new kms.Key(this, 'TopicKey', {
      description: `byrobot-bridge ${stage}: SNS topics (notifications, alarms)`,
      enableKeyRotation: true,
      removalPolicy: s.removalPolicy,
    });
    // Who may use the key: EventBridge through each rule's SNS target (CDK's grant, unconditioned:
    // EventBridge sends no aws:SourceAccount to KMS, so a condition would block it), and this
    // stage's alarms, conditioned (allowStageAlarmsToPublish in constructs/operations.ts).
    const notifications = new Notifications(this, 'Notifications', {
      stage,
      bus,
      eventSource: s.eventSource,
      // Rules with only deliverer destinations have no email or Slack target here (Delivery below).
      rules: s.notifications.filter((r) => r.email || r.slackWebhookSecret),
      topicKey,
      removalPolicy: s.removalPolicy,
      logRetention: s.logRetention,
    });
    deadLetterQueues.push(...notifications.deadLetterQueues);
    const delivery = new Delivery(this, 'Delivery', {
      stage,
      bus,
      eventSource: s.eventSource,
      rules: s.notifications,
      table,
      removalPolicy: s.removalPolicy,
      logRetention: s.logRetention,
      sourceMapsAtRuntime: s.sourceMapsAtRuntime,
    });
    delivery.grantControl(this.functions['delivery-action']!.fn);
    deadLetterQueues.push(...delivery.deadLetterQueues);

    const ops = new Operations(this, 'Operations', {
      stage,
      alarmEmail: s.alarmEmail,
      removalPolicy: s.removalPolicy,
      topicKey,
      poller: poller.fn,
      pollEnabled: s.pollEnabled,
      deadLetterQueues,
      importQueue,
      importWorker: worker.fn,
      callbackQueue,
      callbackProcessor: callbackProcessor.fn,
      callbacks: s.callbacks,
      httpApi,
    });

    for (const alarm of delivery.alarms) alarm.addAlarmAction(new SnsAction(ops.topic));
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'ScheduleName', { value: pollSchedule.scheduleName });
    new CfnOutput(this, 'DashboardName', { value: ops.dashboard.dashboardName });
    new CfnOutput(this, 'OpsTopicArn', { value: ops.topic.topicArn });
    new CfnOutput(this, 'ImportQueueUrl', { value: importQueue.queueUrl });
    new CfnOutput(this, 'ImportDlqArn', { value: importDlq.queueArn });
    new CfnOutput(this, 'CallbackQueueUrl', { value: callbackQueue.queueUrl });
    new CfnOutput(this, 'CallbackDlqArn', { value: callbackDlq.queueArn });
    // The token is the secret's value, never in the template: docs/deploy.md says how to fill it in.
    new CfnOutput(this, 'CallbackUrlTemplate', {
      value: `${httpApi.apiEndpoint}/byrobot/callback/<token from ${s.secrets.callbackToken}>`,
    });
    // The log groups are the functions' own (CDK-named), not /aws/lambda/<name>: the poller's, for tailing.
    new CfnOutput(this, 'PollerLogGroupName', { value: poller.logGroup.logGroupName });

    acknowledgeStackFindings(this, {
      poller,
      importWorker: worker,
      callbackProcessor,
      importSweeper: sweeper,
      routes: ROUTE_NAMES.map((name) => this.functions[name]!),
      forwarders: notifications.forwarders,
      deliverers: delivery.deliverers,
      httpApi,
    });
  }
}

/**
 * No placeholder address reaches a deployed stage: the alarm email and each rule's email are real
 * addresses or SSM parameters read at deploy time. Throws naming the setting.
 */
function refuseUndeliverableRecipients(stage: string, s: StageSettings): void {
  refusePlaceholderRecipient(s.alarmEmail, `STAGES.${stage}.alarmEmail (infra/stages.ts)`);
  for (const rule of s.notifications)
    refusePlaceholderRecipient(
      rule.email,
      `the email of notification rule "${rule.name}" (NOTIFICATION_RULES.${stage}, shared/notify/rules.ts)`,
    );
}

/**
 * JSON access log lines (request id, route, status, latency, integration error, caller IP). No
 * `$context.path`: the callback route's path carries its token (POST /byrobot/callback/{token}),
 * and HTTP APIs cannot mask one variable; `routeKey` names the route with `{token}` unexpanded.
 */
function apigwv2AccessLogFormat() {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      httpMethod: '$context.httpMethod',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
    }),
  );
}
