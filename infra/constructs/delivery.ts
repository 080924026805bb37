import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeliveryQueues } from '../../shared/delivery/aws-control.ts';
import {
  DEFAULT_PAUSE_AFTER_SECONDS,
  destinationName,
  MAX_ATTEMPTS,
} from '../../shared/delivery/destinations.ts';
import { validateNotificationRules } from '../../shared/notify/rules.ts';
import { grantTableFromManifest } from '../grants.ts';
import { BridgeFunction } from './bridge-function.ts';
import { eventPattern, type RuleTargetsProps } from './notifications.ts';
import { METRICS_NAMESPACE } from './operations.ts';
import { consumedQueue, deadLetterQueue } from './queues.ts';

export interface DeliveryProps extends RuleTargetsProps {
  table: dynamodb.ITable;
  sourceMapsAtRuntime?: boolean;
  /** @default 6 h */
  pauseAfterSeconds?: number;
}

/**
 * Each destination of each rule (shared/notify/rules.ts): an EventBridge rule → the destination's
 * own SQS queue → its own deliver Lambda, which reads only its own secret and writes only the
 * delivery log. The queue carries the retry schedule (visibility per attempt, maxReceiveCount = the
 * schedule's length) and dead-letters into the destination's DLQ, the event intact. EventBridge API
 * destinations cannot sign a body, hence a small function of our own.
 */
export class Delivery extends Construct {
  readonly deadLetterQueues: { name: string; queue: sqs.IQueue }[] = [];
  readonly deliverers: BridgeFunction[] = [];
  /** One per destination: it paused (the stack adds the ops topic as their action). */
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly queues: DeliveryQueues = {};
  private readonly queueList: { queue: sqs.Queue; dlq: sqs.Queue }[] = [];

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    validateNotificationRules(props.rules);
    for (const rule of props.rules) {
      const refs = rule.destinations ?? [];
      if (refs.length === 0) continue;
      const eventRule = new events.Rule(this, `${rule.name}-Rule`, {
        eventBus: props.bus,
        ruleName: `byrobot-bridge-${props.stage}-${rule.name}-deliver`,
        description: `${rule.description} (deliverer)`,
        eventPattern: eventPattern({ source: [props.eventSource], ...rule.pattern }),
      });
      for (const ref of refs) {
        const name = destinationName(rule.name, ref.kind);
        const scope = new Construct(this, name);
        const { queue, dlq } = consumedQueue(scope, '', {
          queueName: `byrobot-bridge-${props.stage}-${name}`,
          // The deliverer sets each retry's delay itself; the visibility covers a crashed invocation.
          consumer: 'deliver',
          // The schedule spans ~28 h; 4 days leaves room for a paused-then-resumed destination.
          retentionPeriod: Duration.days(4),
          maxReceiveCount: MAX_ATTEMPTS,
          removalPolicy: props.removalPolicy,
        });
        this.deadLetterQueues.push({ name: `${name} deliveries`, queue: dlq });
        this.queueList.push({ queue, dlq });
        this.queues[name] = { queueUrl: queue.queueUrl, queueArn: queue.queueArn, dlqArn: dlq.queueArn };
        // EventBridge → SQS: retried as the other rule targets are, dead-lettered if SQS refuses.
        const targetDlq = deadLetterQueue(scope, 'TargetDlq', props.removalPolicy);
        this.deadLetterQueues.push({ name: `${name} rule target`, queue: targetDlq });
        eventRule.addTarget(
          new targets.SqsQueue(queue, {
            deadLetterQueue: targetDlq,
            retryAttempts: 8,
            maxEventAge: Duration.hours(2),
          }),
        );

        const fn = new BridgeFunction(scope, 'Deliver', {
          name: 'deliver',
          stage: props.stage,
          sourceMapsAtRuntime: props.sourceMapsAtRuntime,
          logRetention: props.logRetention,
          removalPolicy: props.removalPolicy,
          environment: {
            DESTINATION_NAME: name,
            DESTINATION_KIND: ref.kind,
            DESTINATION_SECRET: ref.secret,
            TABLE_NAME: props.table.tableName,
            QUEUE_URL: queue.queueUrl,
            DLQ_URL: dlq.queueUrl,
            PAUSE_AFTER_SECONDS: String(props.pauseAfterSeconds ?? DEFAULT_PAUSE_AFTER_SECONDS),
          },
        });
        this.deliverers.push(fn);
        fn.fn.addEventSource(
          new SqsEventSource(queue, {
            batchSize: 5,
            reportBatchItemFailures: true,
            // DingTalk and WeCom take 20 messages a minute per robot: few at once, so the
            // in-process limiter sees most of them.
            maxConcurrency: 2,
          }),
        );
        // Least privilege: its secret, its queues, the log's items.
        secretsmanager.Secret.fromSecretNameV2(scope, 'Secret', ref.secret).grantRead(fn.fn);
        queue.grant(fn.fn, 'sqs:ChangeMessageVisibility');
        dlq.grantSendMessages(fn.fn);
        grantTableFromManifest(fn.fn, 'deliver', props.table);

        const paused = new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'DestinationPaused',
          // Powertools adds the stage to every metric (shared/observability/powertools.ts).
          dimensionsMap: { service: 'deliver', stage: props.stage, Destination: name },
          statistic: 'Sum',
          period: Duration.minutes(5),
        });
        const alarm = new cloudwatch.Alarm(scope, 'PausedAlarm', {
          alarmName: `byrobot-bridge-${props.stage}-${name}-paused`,
          alarmDescription: `${name} failed for too long and is paused: fix it, then npx byrobot-bridge deliveries resume ${name} (docs/destinations.md)`,
          metric: paused,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        this.alarms.push(alarm);
        acknowledgeDeliverer(fn);
      }
    }
  }

  /** The delivery-action function: replay into each queue, redrive each DLQ back to its queue. */
  grantControl(fn: lambda.Function): void {
    fn.addEnvironment('DELIVERY_QUEUES', Stack.of(this).toJsonString(this.queues));
    for (const { queue, dlq } of this.queueList) {
      queue.grantSendMessages(fn);
      // StartMessageMoveTask needs these on the source (the DLQ) and SendMessage on the destination.
      dlq.grant(
        fn,
        'sqs:StartMessageMoveTask',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
      );
    }
  }
}

/** The cdk-nag findings a deliverer accepts, each with why it is safe. */
function acknowledgeDeliverer(f: BridgeFunction) {
  Validations.of(f.fn).acknowledge(
    {
      id: 'Serverless-LambdaDLQ',
      reason:
        'Not invoked asynchronously: SQS invokes it, and a message that keeps failing moves to the destination’s DLQ by the queue’s redrive policy.',
    },
    {
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'An SQS event source has no on-failure destination of its own: the queue’s redrive policy (maxReceiveCount = the retry schedule’s length) moves the event, intact, to the destination’s DLQ, alarmed, redriven by `deliveries resume`.',
    },
  );
}
