import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { BYROBOT_ERRORS_METRIC } from '../../shared/observability/byrobot-metrics.ts';
import type { Recipient } from '../stages.ts';
import { deadLetterQueue } from './queues.ts';

export const METRICS_NAMESPACE = 'ByrobotBridge';
/** byrobot refusals that need a person: bad signature or credentials, no permission, clock skew. */
export const ALARMED_BYROBOT_OUTCOMES = ['code:401', 'code:403', 'code:408'] as const;

const BYROBOT_ALARM_TEXT: Record<(typeof ALARMED_BYROBOT_OUTCOMES)[number], string> = {
  'code:401':
    'byrobot refused our signature (401): the app key/secret in the byrobot-credentials secret is wrong or was rotated (docs/runbook.md).',
  'code:403':
    'byrobot answered 403 (no permission): the app key lost access to a company or an endpoint; ask byrobot to restore it.',
  'code:408':
    "byrobot refused our datetime (408, more than 3 minutes off its clock): Lambda's clock is NTP-synced, so check byrobot's side.",
};

/** Every alarm of a stage is named `byrobot-bridge-<stage>-<id>`: the topic policy allows exactly those. */
export const alarmNamePrefix = (stage: string) => `byrobot-bridge-${stage}-`;

/**
 * The address a subscription sends to: a literal one, or an SSM String parameter CloudFormation
 * resolves at deploy time (a missing parameter fails the deploy, naming it).
 */
export function recipientAddress(scope: Construct, r: Recipient): string {
  return typeof r === 'string' ? r : ssm.StringParameter.valueForStringParameter(scope, r.ssmParameter);
}

/**
 * Lets this stage's CloudWatch alarms, and nothing else, publish to an encrypted topic. `enforceSSL`
 * makes CDK write a topic policy, which replaces SNS's default one: without this statement every
 * alarm action fails ("not authorized to perform SNS:Publish"). The key needs the same principal,
 * under the same conditions (CloudWatch sends aws:SourceArn and aws:SourceAccount on both calls).
 */
export function allowStageAlarmsToPublish(topic: sns.Topic, key: kms.IKey, stage: string): void {
  const stack = Stack.of(topic);
  const conditions = {
    ArnLike: {
      'aws:SourceArn': stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: `${alarmNamePrefix(stage)}*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
    StringEquals: { 'aws:SourceAccount': stack.account },
  };
  const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'StageAlarmsPublish',
      principals: [cloudwatch],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions,
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'StageAlarmsUseTopicKey',
      principals: [cloudwatch],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions,
    }),
  );
}

/** One Metrics Insights query per stage and outcome: no 10-metric ceiling, any number of functions. */
export const byrobotErrorsQuery = (stage: string, outcome: string) =>
  `SELECT SUM(${BYROBOT_ERRORS_METRIC}) FROM ${METRICS_NAMESPACE} WHERE stage = '${stage}' AND Outcome = '${outcome}'`;

export interface OperationsProps {
  stage: string;
  alarmEmail: Recipient;
  removalPolicy: RemovalPolicy;
  topicKey: kms.IKey;
  poller: lambda.IFunction;
  /** The schedule runs: without it, "poller silent" would be in alarm for good (dev by default). */
  pollEnabled: boolean;
  deadLetterQueues: { name: string; queue: sqs.IQueue }[];
  importQueue: sqs.IQueue;
  importWorker: lambda.IFunction;
  /** byrobot's push callbacks: the receiver's queue and its processor. */
  callbackQueue: sqs.IQueue;
  callbackProcessor: lambda.IFunction;
  /** The stage's `callbacks` (infra/stages.ts): the reconciler-share alarm means something only when on. */
  callbacks: 'on' | 'off';
  httpApi: apigwv2.IHttpApi;
}

/** The reconciler catching more than this share of calls means push is failing (docs/runbook.md). */
export const RECONCILER_SHARE_ALARM_PERCENT = 20;
/** Below this many calls an hour, the share is noise: one missed push of three is not an outage. */
export const RECONCILER_SHARE_MIN_CALLS = 20;

/** The ops topic (email), the alarms, and one dashboard. */
export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'OpsTopic', {
      displayName: `byrobot-bridge ${props.stage} operations`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    allowStageAlarmsToPublish(this.topic, props.topicKey, props.stage);
    // Its own dead-letter queue: an alarm email SNS could not deliver is kept (and shows on the dashboard).
    this.deadLetterQueue = deadLetterQueue(this, 'OpsEmailDlq', props.removalPolicy);
    this.topic.addSubscription(
      new subscriptions.EmailSubscription(recipientAddress(this, props.alarmEmail), {
        deadLetterQueue: this.deadLetterQueue,
      }),
    );
    const alarmAction = new actions.SnsAction(this.topic);
    const alarm = (alarmId: string, a: Omit<cloudwatch.AlarmProps, 'alarmName'>) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${alarmNamePrefix(props.stage)}${alarmId}`,
        ...a,
      });
      created.addAlarmAction(alarmAction);
      created.addOkAction(alarmAction);
      this.alarms.push(created);
      return created;
    };
    const fnMetric = (service: string, metricName: string, period = Duration.minutes(5)) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        // The function's service name and the stage: Powertools' default dimensions (shared/observability/powertools.ts).
        dimensionsMap: { service, stage: props.stage },
        statistic: 'Sum',
        period,
      });
    const pollerMetric = (metricName: string) => fnMetric('poller', metricName, Duration.minutes(1));
    /** The usual alarm: one period above the threshold (any datapoint above 0 by default); no data is fine. */
    const alarmAbove = (
      alarmId: string,
      alarmDescription: string,
      metric: cloudwatch.IMetric,
      threshold = 0,
    ) =>
      alarm(alarmId, {
        alarmDescription,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    alarmAbove(
      'PollerErrors',
      'The poller Lambda failed (an exception, a timeout or a crash).',
      props.poller.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    );
    if (props.pollEnabled)
      alarm('PollerSilent', {
        alarmDescription:
          'No fully successful poll cycle for 5 minutes (PollSucceeded missing): the schedule, the function, byrobot or a task keeps failing.',
        metric: pollerMetric('PollSucceeded'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    for (const outcome of ALARMED_BYROBOT_OUTCOMES) {
      alarmAbove(
        `Byrobot${outcome.replace(/[^0-9]/g, '')}`,
        BYROBOT_ALARM_TEXT[outcome],
        // Metrics Insights, not metric math: a sum over 10+ per-function metrics would hit
        // CloudWatch's 10-metric limit for math alarms (one more function and the deploy fails).
        new cloudwatch.MathExpression({
          expression: byrobotErrorsQuery(props.stage, outcome),
          usingMetrics: {},
          label: `ByrobotErrors ${outcome}`,
          period: Duration.minutes(5),
        }),
      );
    }
    for (const { name, queue } of [
      ...props.deadLetterQueues,
      { name: 'ops email', queue: this.deadLetterQueue },
    ]) {
      alarmAbove(
        `Dlq-${name.replace(/[^A-Za-z0-9]+/g, '-')}`,
        `Messages in the ${name} dead-letter queue: inspect, fix, redrive (docs/deploy.md).`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      );
    }
    alarmAbove(
      'ImportStuck',
      'An import\'s sender died before its last SendMessageBatch and the sweeper re-sent its chunks (ImportsStuck): check the API function\'s errors and timeouts, and the import (docs/runbook.md, "A stuck import").',
      fnMetric('import-sweeper', 'ImportsStuck'),
    );
    alarmAbove(
      'CallbackAuthFailures',
      'A callback came with a wrong token (401): the URL in byrobot\'s console does not match the callback-token secret (rotated?), or someone probes the route. byrobot retries for 26 h; fix the URL or the secret (docs/deploy.md, "Push callbacks").',
      fnMetric('receive-callback', 'CallbackAuthFailures'),
    );
    alarmAbove(
      'CallbacksUnprocessable',
      'byrobot sent callbacks the bridge could not understand (bad JSON, unknown dataType, no id, refused signature); they are kept under CBBAD#<day> (docs/runbook.md, "Unprocessable callbacks").',
      fnMetric('receive-callback', 'CallbacksUnprocessable', Duration.minutes(15)),
    );
    const byReconciler = fnMetric('poller', 'CallsAnnouncedByReconciler', Duration.hours(1));
    const byPush = fnMetric('process-callbacks', 'CallsAnnouncedByPush', Duration.hours(1));
    if (props.callbacks === 'on')
      alarmAbove(
        'ReconcilerShare',
        `The poller (reconciler) announced more than ${RECONCILER_SHARE_ALARM_PERCENT} % of the last hour's calls: byrobot's pushes are not arriving (console URL, IP allowlist, token, the receiver) (docs/runbook.md, "Push callbacks").`,
        new cloudwatch.MathExpression({
          expression: `IF((r + p) >= ${RECONCILER_SHARE_MIN_CALLS}, 100 * r / (r + p), 0)`,
          usingMetrics: { r: byReconciler.with({}), p: byPush.with({}) },
          label: 'calls announced by the reconciler (%)',
          period: Duration.hours(1),
        }),
        RECONCILER_SHARE_ALARM_PERCENT,
      );
    alarmAbove(
      'Api5xx',
      'The HTTP API answered 5xx (byrobot down, our credentials refused, or a bug).',
      props.httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
    );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `byrobot-bridge-${props.stage}`,
      defaultInterval: Duration.hours(6),
    });
    /** A SEARCH over the stage's bridge metrics with these dimensions and names, summed per 5 minutes. */
    const search = (dimensions: string, metricNames: string[], label: string) => {
      const quoted = metricNames.map((n) => `"${n}"`);
      const names = quoted.length === 1 ? quoted[0] : `(${quoted.join(' OR ')})`;
      return new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${dimensions}} stage="${props.stage}" MetricName=${names}', 'Sum', 300)`,
        label,
        period: Duration.minutes(5),
        usingMetrics: {},
      });
    };
    // Every widget is half the dashboard wide.
    const graph = (widget: cloudwatch.GraphWidgetProps) =>
      new cloudwatch.GraphWidget({ ...widget, width: 12 });
    this.dashboard.addWidgets(
      graph({
        title: 'Poll cycles',
        left: [pollerMetric('PollCycles'), pollerMetric('PollSucceeded'), pollerMetric('TaskFailures')],
        right: [pollerMetric('PollDuration').with({ statistic: 'Maximum' })],
      }),
      graph({
        title: 'Events published by type',
        left: [search('DetailType,service,stage', ['EventsPublished'], 'events')],
      }),
      graph({
        title: 'byrobot errors by outcome',
        left: [search('Outcome,service,stage', [BYROBOT_ERRORS_METRIC], 'byrobot errors')],
      }),
      graph({
        title: 'Imports',
        left: [
          search(
            'service,stage',
            [
              'ImportsQueued',
              'ImportRowsReceived',
              'ImportRowsImported',
              'ImportChunksFailed',
              'ImportsStuck',
            ],
            'imports',
          ),
        ],
        right: [
          props.importQueue.metricApproximateNumberOfMessagesVisible({ label: 'queued chunks' }),
          props.importQueue.metricApproximateAgeOfOldestMessage({ label: 'oldest chunk age (s)' }),
          props.importWorker.metricErrors({ label: 'worker errors' }),
        ],
      }),
      graph({
        title: 'Push callbacks',
        left: [
          search(
            'service,stage',
            [
              'CallbacksReceived',
              'CallbacksUnprocessable',
              'CallbackAuthFailures',
              'CallbackSourceRefused',
              'CallbacksNotStored',
              'CallbacksFailed',
            ],
            'callbacks',
          ),
        ],
        right: [
          props.callbackQueue.metricApproximateNumberOfMessagesVisible({ label: 'queued callbacks' }),
          props.callbackQueue.metricApproximateAgeOfOldestMessage({ label: 'oldest callback age (s)' }),
          props.callbackProcessor.metricErrors({ label: 'processor errors' }),
        ],
      }),
      graph({
        title: 'Calls announced: push vs reconciler',
        left: [
          byPush.with({ period: Duration.minutes(5), label: 'by push' }),
          byReconciler.with({ period: Duration.minutes(5), label: 'by the reconciler' }),
        ],
        right: [
          search(
            'dataType,service,stage',
            ['CallbacksProcessed', 'CallbackDuplicates'],
            'processed / duplicates',
          ),
        ],
      }),
      graph({
        title: 'API latency',
        left: [
          props.httpApi.metricLatency({ statistic: 'p50', label: 'p50' }),
          props.httpApi.metricLatency({ statistic: 'p99', label: 'p99' }),
          props.httpApi.metricIntegrationLatency({ statistic: 'p99', label: 'integration p99' }),
        ],
        right: [
          props.httpApi.metricCount({ label: 'requests' }),
          props.httpApi.metricClientError({ label: '4xx' }),
          props.httpApi.metricServerError({ label: '5xx' }),
        ],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
  }
}
