/**
 * Chat destinations take messages slowly: an incoming webhook answers 429 past its rate, and a
 * burst of hot leads (a task's last calls finishing together) would end in the failure queue. The
 * pattern every chat deliverer follows (docs/deploy.md, "Chat destinations"):
 *
 * 1. one forwarder function per destination webhook, with reserved concurrency 1 (infra sets
 *    `reservedConcurrency`): one message in flight per webhook, whatever the burst. Lambda keeps
 *    the invocations it throttles in the asynchronous queue and retries them until the maximum
 *    event age, so a burst waits instead of failing;
 * 2. inside it, at least `minIntervalMs` between two posts (`paced`, below), so a warm container
 *    that finishes fast does not exceed the rate either;
 * 3. a refusal (429 included) throws: Lambda retries, then the on-failure queue keeps the event.
 *
 * A new destination (DingTalk, WeCom, Feishu) adds its row here and reuses both halves.
 */
export interface ChatDestinationLimits {
  /** Reserved concurrency of the destination's forwarder: 1, one post in flight per webhook. */
  reservedConcurrency: number;
  /** The least time between two posts from one container, from the destination's documented rate. */
  minIntervalMs: number;
}

export const CHAT_DESTINATIONS = {
  /** Slack incoming webhooks: about one message per second, short bursts tolerated. */
  slack: { reservedConcurrency: 1, minIntervalMs: 1_000 },
} as const satisfies Record<string, ChatDestinationLimits>;

export type ChatDestination = keyof typeof CHAT_DESTINATIONS;

/** The variable infra sets to the destination's `minIntervalMs`. */
export const CHAT_MIN_INTERVAL_ENV = 'CHAT_MIN_INTERVAL_MS';

export interface Clock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Runs `send` no sooner than `minIntervalMs` after the previous call started; calls made together
 * run one after another. Kept per container (module scope in the forwarder).
 */
export function paced(minIntervalMs: number, clock: Clock = realClock) {
  if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0)
    throw new RangeError(`minIntervalMs must be a number ≥ 0, got ${minIntervalMs}`);
  let last = Number.NEGATIVE_INFINITY;
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(send: () => Promise<T>): Promise<T> => {
    const run = queue.then(async () => {
      const wait = last + minIntervalMs - clock.now();
      if (wait > 0) await clock.sleep(wait);
      last = clock.now();
      return send();
    });
    // The next call waits for this one, failed or not.
    queue = run.catch(() => undefined);
    return run;
  };
}
