import type { BridgeConfig } from '../config/secrets.ts';
import { busPublisher, type Publisher } from './bus-client.ts';

/**
 * A bus publisher whose EventBridge client is created on the first publish: a poll cycle with
 * nothing new, or an import worker batch that does not finish its job, never needs it. The module is
 * imported statically: a dynamic import in a single-file bundle defers evaluation but makes esbuild
 * keep all of the client's commands (about 28 KB more to parse on every cold start).
 */
export function busPublisherOnFirstUse(
  config: Pick<BridgeConfig, 'eventBusName' | 'eventSource' | 'eventBridgeEndpoint'>,
): Publisher {
  let publisher: Publisher | undefined;
  return (events) => {
    publisher ??= busPublisher({
      eventBusName: config.eventBusName,
      source: config.eventSource,
      endpoint: config.eventBridgeEndpoint,
    });
    return publisher(events);
  };
}
