import type { busPublisher, Publisher } from './bus-client.ts';

/**
 * A bus publisher whose EventBridge client is created on the first publish. A poll cycle with
 * nothing new, or an import worker batch that does not finish its job, never needs it, so a cold
 * start skips evaluating the client. Only types come from bus-client.ts: a static import would
 * evaluate it at start-up after all.
 */
export function busPublisherOnFirstUse(options: Parameters<typeof busPublisher>[0]): Publisher {
  let publisher: Promise<Publisher> | undefined;
  return async (events) => {
    publisher ??= import('./bus-client.ts').then((m) => m.busPublisher(options));
    publisher.catch(() => {
      publisher = undefined;
    });
    return (await publisher)(events);
  };
}
