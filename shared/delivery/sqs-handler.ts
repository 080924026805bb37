import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Deliverer } from './deliverer.ts';
import type { BusEvent } from './send.ts';

export interface SqsDeliveryOptions {
  queueUrl: string;
  deadLetterQueueUrl: string;
  sqs?: SQSClient;
  logError?: (message: string, extra: Record<string, unknown>) => void;
}

/**
 * The deliver Lambda's SQS side: one destination's queue, one message per event. A retry sets the
 * message's visibility to the schedule's next delay and reports it failed, so SQS itself keeps it
 * until then (ApproximateReceiveCount is the attempt number); after the last attempt SQS's redrive
 * policy (maxReceiveCount = the schedule's length) moves it, intact, to the DLQ. A paused
 * destination's messages are moved to the DLQ at once, where `deliveries resume` redrives them.
 */
export function sqsDeliveryHandler(deliverer: Deliverer, options: SqsDeliveryOptions) {
  const sqs = options.sqs ?? new SQSClient({});
  const visibleIn = (record: SQSRecord, seconds: number) =>
    sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: options.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const busEvent = JSON.parse(record.body) as BusEvent;
        const attempt = Number(record.attributes.ApproximateReceiveCount ?? 1);
        const replay = record.messageAttributes?.replay?.stringValue === 'true';
        const outcome = await deliverer.deliver(busEvent, attempt, replay);
        if (outcome.action === 'retry') {
          await visibleIn(record, Math.min(43_200, Math.max(0, Math.round(outcome.delaySeconds))));
          batchItemFailures.push({ itemIdentifier: record.messageId });
        } else if (outcome.action === 'dead-letter') {
          // Visible again at once: the next receive exceeds maxReceiveCount and SQS moves it.
          await visibleIn(record, 0);
          batchItemFailures.push({ itemIdentifier: record.messageId });
        } else if (outcome.action === 'hold') {
          await sqs.send(
            new SendMessageCommand({ QueueUrl: options.deadLetterQueueUrl, MessageBody: record.body }),
          );
        }
      } catch (error) {
        // The log or SQS failed: the message stays and comes back after the visibility timeout.
        options.logError?.('delivery failed before an outcome', {
          messageId: record.messageId,
          error: (error as Error).message,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}
