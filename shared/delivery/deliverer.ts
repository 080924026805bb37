import type { Destination, DestinationCredentials } from './destinations.ts';
import {
  DEFAULT_PAUSE_AFTER_SECONDS,
  MAX_ATTEMPTS,
  RATE_LIMITS,
  RETRY_SCHEDULE_SECONDS,
} from './destinations.ts';
import type { DeliveryLog } from './log-store.ts';
import { type BusEvent, eventIdOf, sendOnce } from './send.ts';

/**
 * What to do with a message after one delivery attempt; the adapter (SQS on AWS, the local runner
 * locally) carries it out, so the decision is the same code in both:
 * - `delivered`: done (delete the message);
 * - `retry`: try again after `delaySeconds` (SQS: change the message's visibility);
 * - `dead-letter`: the schedule is spent; move the event, intact, to the destination's DLQ;
 * - `hold`: the destination is paused; park the event in the DLQ until `deliveries resume` redrives it.
 */
export type DeliveryOutcome =
  | { action: 'delivered' }
  | { action: 'retry'; delaySeconds: number }
  | { action: 'dead-letter' }
  | { action: 'hold' };

export interface DelivererOptions {
  destination: Destination;
  credentials: () => Promise<DestinationCredentials>;
  log: DeliveryLog;
  /** Failing with no success for this long pauses the destination. @default 6 h */
  pauseAfterSeconds?: number;
  /** Called once when this deliverer pauses the destination (the alarm's metric, a log line). */
  onPaused?: (destination: string) => void;
  fetchImpl?: typeof fetch;
  now?: () => number;
  /** Waits `ms` (the rate limiter); tests may pass a fake. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export class Deliverer {
  private readonly sent: number[] = [];
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: DelivererOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get destination(): string {
    return this.options.destination.name;
  }

  /**
   * One attempt at one event. `attempt` counts from 1 (SQS's ApproximateReceiveCount); `replay`
   * marks an operator's replay in the log. Throws only when the log itself cannot be written, so the
   * message stays in its queue and nothing is lost.
   */
  async deliver(event: BusEvent, attempt: number, replay = false): Promise<DeliveryOutcome> {
    const { destination, log } = this.options;
    const eventId = eventIdOf(event);
    const state = await log.state(destination.name);
    if (state.paused) {
      await log.setStatus(eventId, destination.name, event, 'held', this.now());
      return { action: 'hold' };
    }
    await this.respectRateLimit();
    const result = await sendOnce(destination.kind, await this.options.credentials(), event, attempt, {
      fetchImpl: this.options.fetchImpl,
      now: this.now,
    });
    const nowMs = this.now();
    const last = attempt >= MAX_ATTEMPTS;
    const status = result.ok ? 'delivered' : last ? 'dead-lettered' : 'retrying';
    await log.recordAttempt(eventId, destination.name, event, attempt, result, status, { nowMs, replay });
    if (result.ok) {
      if (state.failingSince) await log.markHealthy(destination.name);
      return { action: 'delivered' };
    }
    const failing = await log.markFailing(
      destination.name,
      nowMs,
      `HTTP ${result.statusCode ?? '-'} code ${result.vendorCode ?? '-'}`,
    );
    const pauseAfterMs = (this.options.pauseAfterSeconds ?? DEFAULT_PAUSE_AFTER_SECONDS) * 1000;
    if (failing.failingSince && nowMs - Date.parse(failing.failingSince) >= pauseAfterMs) {
      if (await log.pause(destination.name, nowMs)) this.options.onPaused?.(destination.name);
    }
    if (last) return { action: 'dead-letter' };
    const scheduled = RETRY_SCHEDULE_SECONDS[attempt] ?? 0;
    return { action: 'retry', delaySeconds: Math.max(scheduled, result.slowDownSeconds ?? 0) };
  }

  /**
   * The vendor's per-robot limit, kept within this process: past it, wait for the oldest send in
   * the window to age out rather than post and be refused (DingTalk then blocks the robot 10 min).
   */
  private async respectRateLimit(): Promise<void> {
    const limit = RATE_LIMITS[this.options.destination.kind];
    if (!limit) return;
    const windowMs = 60_000;
    for (;;) {
      const now = this.now();
      while (this.sent.length > 0 && now - this.sent[0]! >= windowMs) this.sent.shift();
      if (this.sent.length < limit.perMinute) {
        this.sent.push(now);
        return;
      }
      await this.sleep(windowMs - (now - this.sent[0]!));
    }
  }
}
