import { ByrobotApiError, ByrobotTransportError } from './errors.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included. @default 4 */
  maxAttempts: number;
  /** The first backoff's ceiling. @default 200 */
  baseDelayMs: number;
  /** No backoff is longer than this. @default 5000 */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Whether a failed attempt may be tried again. `attempt` counts from 1.
 * Only idempotent requests are retried: reads, start/pause/stop, and imports (byrobot keeps a phone
 * once per task, so a repeated import reports repeats instead of adding twice). createTask is not:
 * a lost answer may still have created the task, and a blind retry would create a second one.
 */
export function shouldRetry(
  error: unknown,
  attempt: number,
  idempotent: boolean,
  policy: RetryPolicy,
): boolean {
  if (attempt >= policy.maxAttempts || !idempotent) return false;
  // A 429 did nothing and asks to wait. The failures that may have been carried out are transient
  // trouble (byrobot's, a gateway's, the line's); any other answer will not change on a retry.
  return (
    (error instanceof ByrobotTransportError && error.kind === 'rate-limited') || mayHaveDoneTheWork(error)
  );
}

/**
 * Whether a failed attempt may have been carried out by byrobot: its answer was lost (timeout,
 * dropped or reset connection, a body cut short), or a gateway or byrobot failed (5xx, code 500)
 * possibly after passing the request on. A refusal with byrobot's envelope or a 429 did nothing.
 */
export function mayHaveDoneTheWork(error: unknown): boolean {
  if (error instanceof ByrobotApiError) {
    // byrobot's "unknown error": a transient failure on its side. Every other code is an answer
    // about our request (signature, clock, parameters) that a retry cannot change.
    return error.code === 500;
  }
  if (!(error instanceof ByrobotTransportError)) return false;
  switch (error.kind) {
    case 'timeout':
    case 'network':
    // A body cut short (a proxy or byrobot dropping the connection mid-answer) is transport
    // trouble, not byrobot's verdict: the next attempt usually reads whole.
    case 'invalid-json':
      return true;
    case 'http':
    case 'html':
      // A gateway or server failing (5xx); a 4xx without an envelope will not change.
      return error.status !== null && error.status >= 500;
    default:
      // Whole JSON that is not byrobot's envelope or shape will not change: report it.
      return false;
  }
}

/**
 * Capped exponential backoff with full jitter (a random delay up to the exponential ceiling), so that
 * many clients failing together do not retry together. A server's Retry-After wins when longer.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
  retryAfterMs: number | null = null,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs !== null ? Math.max(jittered, Math.min(retryAfterMs, policy.maxDelayMs)) : jittered;
}

/** `Retry-After` as seconds or an HTTP date → milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
