import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

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
