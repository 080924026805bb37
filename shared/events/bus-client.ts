import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { BridgeEvent } from './builders.ts';
import { type PublishResult, publishEvents } from './publisher.ts';

export type Publisher = (events: readonly BridgeEvent[]) => Promise<PublishResult>;

/**
 * A publisher bound to one bus: AWS's EventBridge, or the local PutEvents endpoint when `endpoint`
 * is set (local stack, tests). shared/events/lazy-publisher.ts creates it on the first publish.
 */
export function busPublisher(options: {
  eventBusName: string;
  source: string;
  endpoint?: string;
}): Publisher {
  const client = new EventBridgeClient(
    options.endpoint
      ? {
          endpoint: options.endpoint,
          region: process.env.AWS_REGION ?? 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {},
  );
  return (events) =>
    publishEvents(events, { client, eventBusName: options.eventBusName, source: options.source });
}
