import { describe, expect, it } from 'vitest';
import { Faults } from '../../local/byrobot-sim/faults.ts';
import { createRandom } from '../../local/byrobot-sim/prng.ts';
import { RETRY_INTERVALS_MS } from '../../local/byrobot-sim/push.ts';

describe('byrobot simulator: the push retry schedule (callback.md)', () => {
  it('is the 16 listed intervals and then 2 h, 27 retries reaching 26 h 46 min', () => {
    const minutes = RETRY_INTERVALS_MS.map((ms) => ms / 60_000);
    expect(minutes.slice(0, 16)).toEqual([1 / 6, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 60, 120]);
    expect(minutes.slice(16)).toEqual(Array(11).fill(120));
    const total = RETRY_INTERVALS_MS.reduce((a, b) => a + b, 0);
    expect(total).toBe(((26 * 60 + 45) * 60 + 40) * 1000); // 26 h 45 min 40 s ≈ the doc's 26 h 46 min
    // 27 POSTs in all (26 retries) would end two hours short of the doc's total.
    expect(total - RETRY_INTERVALS_MS.at(-1)!).toBe(((24 * 60 + 45) * 60 + 40) * 1000);
  });
});

describe('byrobot simulator: push faults', () => {
  it('strike only their callback type, use up their times, and leave request faults alone', () => {
    const faults = new Faults();
    const drop = faults.add({ kind: 'drop', callback: 'call', times: 2 });
    faults.add({ kind: 'http5xx', endpoint: 'task/getTasks' });
    const never = () => 0.99;
    expect(faults.takePush('drop', 'job', never)).toBeUndefined();
    expect(faults.takePush('duplicate', 'call', never)).toBeUndefined();
    expect(faults.takePush('drop', 'call', never)?.id).toBe(drop.id);
    expect(faults.takePush('drop', 'call', never)?.id).toBe(drop.id);
    expect(faults.takePush('drop', 'call', never)).toBeUndefined(); // used up, removed
    expect(faults.list.map((f) => f.kind)).toEqual(['http5xx']);
    // A request is struck by request faults only, even with a push fault for every type listed.
    faults.add({ kind: 'delay' });
    expect(faults.take('v1/task/getTasks').map((f) => f.kind)).toEqual(['http5xx']);
    expect(faults.take('v1/company/getCompanys')).toEqual([]);
  });

  it('at a rate strike that share of callbacks, the same ones under the same seed', () => {
    const run = () => {
      const faults = new Faults();
      faults.add({ kind: 'drop', rate: 0.1 });
      const random = createRandom(7).next;
      return Array.from({ length: 1000 }, (_, i) => i).filter((i) =>
        faults.takePush('drop', i % 2 ? 'call' : 'inbound', random),
      );
    };
    const hit = run();
    expect(hit.length).toBeGreaterThan(60);
    expect(hit.length).toBeLessThan(140);
    expect(run()).toEqual(hit);
  });

  it('refuse a bad type, rate, times or delay, naming it', () => {
    const faults = new Faults();
    expect(() => faults.add({ kind: 'drop', callback: 'sms' as never })).toThrow(/callback/);
    expect(() => faults.add({ kind: 'drop', rate: 1.5 })).toThrow(/rate/);
    expect(() => faults.add({ kind: 'duplicate', times: 0 })).toThrow(/times/);
    expect(() => faults.add({ kind: 'delay', delayMs: -1 })).toThrow(/delayMs/);
    expect(() => faults.add({ kind: 'explode' as never })).toThrow(
      /unknown fault kind explode; .*answerIgnored/,
    );
  });
});
