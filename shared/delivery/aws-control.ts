import { SendMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import type { DeliveryControl } from './control.ts';
import type { DeliveryLog } from './log-store.ts';

/** Each destination's queues, as infra/constructs/delivery.ts passes them (DELIVERY_QUEUES). */
export type DeliveryQueues = Record<string, { queueUrl: string; queueArn: string; dlqArn: string }>;

/**
 * Replay and resume on AWS: a replay is the logged event sent to the destination's own queue (so it
 * gets the same retries and log); resume clears the pause and redrives the DLQ with SQS's own
 * StartMessageMoveTask, back into the destination's queue.
 */
export function awsDeliveryControl(
  queues: DeliveryQueues,
  log: DeliveryLog,
  sqs = new SQSClient({}),
): DeliveryControl {
  const of = (name: string) => {
    const q = queues[name];
    if (!q) throw new Error(`no destination ${name}`);
    return q;
  };
  return {
    destinations: () => Object.keys(queues),
    async replay(name, event) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: of(name).queueUrl,
          MessageBody: JSON.stringify(event),
          MessageAttributes: { replay: { DataType: 'String', StringValue: 'true' } },
        }),
      );
    },
    async resume(name) {
      const q = of(name);
      await log.resume(name);
      await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: q.dlqArn, DestinationArn: q.queueArn }));
      return null; // the move runs in the background; its count is in the DLQ's metrics
    },
  };
}

export function readDeliveryQueues(env: Record<string, string | undefined>): DeliveryQueues {
  try {
    return JSON.parse(env.DELIVERY_QUEUES ?? '{}') as DeliveryQueues;
  } catch {
    throw new Error('delivery configuration: DELIVERY_QUEUES must be JSON');
  }
}
