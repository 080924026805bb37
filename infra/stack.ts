import { join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ROUTES, type RouteName } from '../shared/api/openapi.ts';
import { TTL_ATTRIBUTE } from '../shared/store/table.ts';
import { BridgeFunction } from './constructs/bridge-function.ts';
import { Delivery } from './constructs/delivery.ts';
import { Notifications } from './constructs/notifications.ts';
import { Operations } from './constructs/operations.ts';
import { deadLetterQueue } from './constructs/queues.ts';
import { registrySchemas } from './event-schemas.ts';
import { FUNCTIONS, type FunctionName, ROOT } from './functions.ts';
import { acknowledgeStackFindings } from './nag.ts';
import type { StageSettings } from './stages.ts';

export interface BridgeStackProps extends StackProps {
  stage: string;
  settings: StageSettings;
}

type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';
interface RouteAccess {
  /** DynamoDB actions on the bridge's table. */
  table: TableAction[];
  /** Secrets it reads: byrobot credentials, API key hashes, webhook sources. */
  secrets: ('byrobot' | 'apiKeys' | 'webhooks')[];
  /** Sends import chunks to the queue. */
  queue?: boolean;
}

/**
 * What each route's function may do, and nothing more. Idempotency records and the task→company
 * cache are Get/Put/Delete; imports also update job counters and query chunks. Readers cannot write.
 */
export const API_ACCESS: Record<RouteName, RouteAccess> = {
  'task-action': { table: ['GetItem', 'PutItem', 'DeleteItem'], secrets: ['byrobot', 'apiKeys'] },
  'create-task': { table: ['GetItem', 'PutItem', 'DeleteItem'], secrets: ['byrobot', 'apiKeys'] },
  'import-customers': {
    table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    secrets: ['byrobot', 'apiKeys'],
    queue: true,
  },
  'webhook-customers': {
    table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    secrets: ['byrobot', 'webhooks'],
    queue: true,
  },
  'get-import': { table: ['GetItem', 'Query'], secrets: ['apiKeys'] },
  'get-call': { table: [], secrets: ['byrobot', 'apiKeys'] },
  'get-deliveries': { table: ['Query'], secrets: ['apiKeys'] },
  // Replay reads the log; resume updates the destination's state (SQS access: infra/constructs/delivery.ts).
  'delivery-action': { table: ['Query', 'UpdateItem'], secrets: ['apiKeys'] },
  openapi: { table: [], secrets: [] },
  health: { table: [], secrets: ['apiKeys'] },
};

const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, _d, c: string) => c.toUpperCase());

/** How many import-worker invocations SQS may run at once: byrobot rate-limits per app key. */
const IMPORT_WORKER_MAX_CONCURRENCY = 2;
const IMPORT_MAX_RECEIVE_COUNT = 5;

/** byrobot-bridge for one stage: table, bus, poller, HTTP API, import queue, notifications, ops. */
export class BridgeStack extends Stack {
  readonly functions: Partial<Record<FunctionName, BridgeFunction>> = {};

  constructor(scope: Construct, id: string, props: BridgeStackProps) {
    super(scope, id, props);
    const { stage, settings: s } = props;
    const fnDefaults = {
      stage,
      logRetention: s.logRetention,
      removalPolicy: s.removalPolicy,
      sourceMapsAtRuntime: s.sourceMapsAtRuntime,
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
    bus.archive('Archive', {
      archiveName: `byrobot-bridge-${stage}`,
      description: `Every event on byrobot-bridge-${stage}, for replay`,
      eventPattern: { account: [this.account] },
      retention: s.archiveRetention,
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
    const byrobotSecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'ByrobotCredentials',
      s.secrets.byrobotCredentials,
    );
    const apiKeysSecret = secretsmanager.Secret.fromSecretNameV2(this, 'ApiKeys', s.secrets.apiKeys);
    const webhookSecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'WebhookSources',
      s.secrets.webhookSources,
    );
    const common = {
      TABLE_NAME: table.tableName,
      EVENT_BUS_NAME: bus.eventBusName,
      EVENT_SOURCE: s.eventSource,
      BYROBOT_BASE_URL: s.byrobotBaseUrl,
      BYROBOT_CREDENTIALS_SECRET: s.secrets.byrobotCredentials,
    };

    // ── Poller ─────────────────────────────────────────────────────────────────────────────
    const poller = new BridgeFunction(this, 'Poller', {
      ...fnDefaults,
      name: 'poller',
      environment: {
        ...common,
        POLL_COMPANIES: s.pollCompanies === 'all' ? 'all' : s.pollCompanies.join(','),
        POLL_BACKFILL: String(s.backfill),
        BYROBOT_MAX_IN_FLIGHT: String(s.maxInFlight),
      },
    });
    this.functions.poller = poller;
    // A failed cycle is redone by the next one a minute later: no Lambda retries of a stale tick.
    poller.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    table.grant(
      poller.fn,
      'dynamodb:Query',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    );
    bus.grantPutEventsTo(poller.fn);
    byrobotSecret.grantRead(poller.fn);

    const schedulerDlq = deadLetterQueue(this, 'PollScheduleDlq', s.removalPolicy);
    const schedule = new scheduler.Schedule(this, 'PollSchedule', {
      description: `byrobot-bridge ${stage}: one poll cycle`,
      schedule: scheduler.ScheduleExpression.rate(s.pollRate),
      target: new schedulerTargets.LambdaInvoke(poller.fn, {
        retryAttempts: 0,
        maxEventAge: Duration.seconds(60),
        deadLetterQueue: schedulerDlq,
      }),
    });
    const deadLetterQueues: { name: string; queue: sqs.IQueue }[] = [
      { name: 'poll schedule', queue: schedulerDlq },
    ];

    // ── Imports: queue → worker ────────────────────────────────────────────────────────────
    const importDlq = deadLetterQueue(
      this,
      'ImportDlq',
      s.removalPolicy,
      `byrobot-bridge-${stage}-imports-dlq`,
    );
    deadLetterQueues.push({ name: 'import', queue: importDlq });
    const importQueue = new sqs.Queue(this, 'ImportQueue', {
      queueName: `byrobot-bridge-${stage}-imports`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for Lambda consumers: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(6 * FUNCTIONS['import-worker'].timeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: importDlq, maxReceiveCount: IMPORT_MAX_RECEIVE_COUNT },
      removalPolicy: s.removalPolicy,
    });
    const worker = new BridgeFunction(this, 'ImportWorker', {
      ...fnDefaults,
      name: 'import-worker',
      environment: {
        ...common,
        API_KEYS_SECRET: s.secrets.apiKeys,
        IMPORT_MAX_RECEIVE_COUNT: String(IMPORT_MAX_RECEIVE_COUNT),
      },
    });
    this.functions['import-worker'] = worker;
    worker.fn.addEventSource(
      new SqsEventSource(importQueue, {
        batchSize: 5,
        reportBatchItemFailures: true,
        maxConcurrency: IMPORT_WORKER_MAX_CONCURRENCY,
      }),
    );
    table.grant(worker.fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query');
    bus.grantPutEventsTo(worker.fn);
    byrobotSecret.grantRead(worker.fn);

    // ── HTTP API: one function per route, each with only its route's permissions ─────────────
    const apiEnv = {
      ...common,
      API_KEYS_SECRET: s.secrets.apiKeys,
      WEBHOOK_SOURCES_SECRET: s.secrets.webhookSources,
      IMPORT_QUEUE_URL: importQueue.queueUrl,
    };
    const secretsByName = { byrobot: byrobotSecret, apiKeys: apiKeysSecret, webhooks: webhookSecret };
    const apiFunctions = new Map<RouteName, BridgeFunction>();
    for (const [name, access] of Object.entries(API_ACCESS) as [RouteName, RouteAccess][]) {
      const fn = new BridgeFunction(this, pascal(name), { ...fnDefaults, name, environment: apiEnv });
      if (access.table.length > 0) table.grant(fn.fn, ...access.table.map((a) => `dynamodb:${a}`));
      for (const secret of access.secrets) secretsByName[secret].grantRead(fn.fn);
      if (access.queue) importQueue.grantSendMessages(fn.fn);
      apiFunctions.set(name, fn);
      this.functions[name] = fn;
    }

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
    for (const r of ROUTES) {
      let integration = integrations.get(r.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascal(r.fn)}Integration`, apiFunctions.get(r.fn)!.fn, {
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
    // EventBridge (rule targets) and CloudWatch (alarm actions) publish to the encrypted topics.
    for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
    }
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
    delivery.grantControl(apiFunctions.get('delivery-action')!.fn);
    deadLetterQueues.push(...delivery.deadLetterQueues);

    const ops = new Operations(this, 'Operations', {
      stage,
      alarmEmail: s.alarmEmail,
      removalPolicy: s.removalPolicy,
      topicKey,
      poller: poller.fn,
      // Only the functions that call byrobot (an alarm's math takes at most 10 metrics).
      byrobotServices: [
        'poller',
        'import-worker',
        ...Object.entries(API_ACCESS)
          .filter(([, a]) => a.secrets.includes('byrobot'))
          .map(([name]) => name),
      ],
      deadLetterQueues,
      importQueue,
      importWorker: worker.fn,
      httpApi,
    });

    for (const alarm of delivery.alarms) alarm.addAlarmAction(new SnsAction(ops.topic));
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'ScheduleName', { value: schedule.scheduleName });
    new CfnOutput(this, 'DashboardName', { value: ops.dashboard.dashboardName });
    new CfnOutput(this, 'ImportQueueUrl', { value: importQueue.queueUrl });

    acknowledgeStackFindings(this, {
      poller,
      importWorker: worker,
      routes: [...apiFunctions.values()],
      forwarders: notifications.forwarders,
      httpApi,
    });
  }
}

/** JSON access log lines (request id, route, status, latency, integration error, caller IP). */
function apigwv2AccessLogFormat() {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      httpMethod: '$context.httpMethod',
      routeKey: '$context.routeKey',
      path: '$context.path',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
    }),
  );
}
