import { describe, expect, it } from 'vitest';
import { CHAT_DESTINATIONS, type Clock, paced } from '../../../shared/notify/pace.ts';

/** A clock that moves only when something sleeps: the test sees every wait, and waits for none. */
function virtualClock() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  return { clock, sleeps, advance: (ms: number) => (t += ms), now: () => t };
}

describe('paced: one chat post at a time, at the destination’s rate', () => {
  it('Slack: a burst of five is sent one after another, a second apart', async () => {
    const { clock, sleeps, now } = virtualClock();
    const pace = paced(CHAT_DESTINATIONS.slack.minIntervalMs, clock);
    const sentAt: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const post = () =>
      pace(async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        sentAt.push(now());
        await Promise.resolve();
        inFlight--;
      });
    await Promise.all([post(), post(), post(), post(), post()]);
    expect(maxInFlight).toBe(1);
    expect(sentAt.slice(1).map((t, i) => t - sentAt[i]!)).toEqual([1000, 1000, 1000, 1000]);
    expect(sleeps).toEqual([1000, 1000, 1000, 1000]);
  });

  it('does not wait when the last post was long enough ago', async () => {
    const { clock, sleeps, advance } = virtualClock();
    const pace = paced(1000, clock);
    await pace(async () => undefined);
    advance(1500);
    await pace(async () => undefined);
    advance(400);
    await pace(async () => undefined);
    expect(sleeps).toEqual([600]);
  });

  it('a failed post fails its caller only; the next one still waits its turn', async () => {
    const { clock, sleeps } = virtualClock();
    const pace = paced(1000, clock);
    const first = pace(async () => {
      throw new Error('Slack answered HTTP 429 (retry after 1 s)');
    });
    const second = pace(async () => 'sent');
    await expect(first).rejects.toThrow(/429/);
    await expect(second).resolves.toBe('sent');
    expect(sleeps).toEqual([1000]);
  });

  it('refuses a nonsense interval', () => {
    expect(() => paced(Number.NaN)).toThrow(/minIntervalMs/);
    expect(() => paced(-1)).toThrow(/minIntervalMs/);
  });
});
