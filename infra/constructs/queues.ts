import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type FunctionName, MANIFEST } from '../../shared/manifest.ts';

/**
 * A dead-letter queue for an asynchronous target (Scheduler, EventBridge rule target, Lambda
 * on-failure destination, SNS subscription): SQS-managed encryption, TLS only, 14 days.
 */
export function deadLetterQueue(
  scope: Construct,
  id: string,
  removalPolicy: RemovalPolicy,
  queueName?: string,
): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    queueName,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy,
  });
  Validations.of(queue).acknowledge(
    {
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (of a Scheduler, rule target, destination or subscription); it is alarmed on ApproximateNumberOfMessagesVisible > 0 and redriven by hand (docs/deploy.md).',
    },
    {
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is itself a dead-letter queue; a DLQ of a DLQ would only move the same messages once more. It is alarmed and redriven by hand (docs/deploy.md).',
    },
  );
  return queue;
}

/**
 * A queue a Lambda consumes, with its dead-letter queue (ids `<prefix>Queue` and `<prefix>Dlq`):
 * SQS-managed encryption, TLS only, a visibility of six times the consumer's timeout (AWS's advice
 * for Lambda consumers), dead-lettered after `maxReceiveCount` receives. A queue name names its DLQ
 * `<name>-dlq`.
 */
export function consumedQueue(
  scope: Construct,
  prefix: string,
  props: {
    consumer: FunctionName;
    maxReceiveCount: number;
    retentionPeriod: Duration;
    removalPolicy: RemovalPolicy;
    queueName?: string;
  },
): { queue: sqs.Queue; dlq: sqs.Queue } {
  const { queueName, removalPolicy } = props;
  const dlq = deadLetterQueue(scope, `${prefix}Dlq`, removalPolicy, queueName && `${queueName}-dlq`);
  const queue = new sqs.Queue(scope, `${prefix}Queue`, {
    queueName,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(6 * MANIFEST[props.consumer].timeoutSeconds),
    retentionPeriod: props.retentionPeriod,
    deadLetterQueue: { queue: dlq, maxReceiveCount: props.maxReceiveCount },
    removalPolicy,
  });
  return { queue, dlq };
}
