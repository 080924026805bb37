import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { createObservability } from '../../../shared/observability/powertools.ts';
import { readPollerConfig } from '../../../shared/poller/config.ts';
import type { CompanyCycleReport } from '../../../shared/poller/cycle.ts';
import { recordPollMetrics } from '../../../shared/poller/metrics.ts';
import { callGap, endedBefore, gapTiming, startingCounter } from '../../../shared/poller/reconcile.ts';
import type { PollRunReport } from '../../../shared/poller/runtime.ts';

describe('The reconciler’s arithmetic (callbacks on)', () => {
  it('callGap: done calls less the baseline less what either path announced since', () => {
    expect(callGap({ done: 10, baselineDone: 4, counter: 9, baselineCounter: 3 })).toBe(0);
    expect(callGap({ done: 12, baselineDone: 4, counter: 9, baselineCounter: 3 })).toBe(2);
    // Pushes counted after the listing's done count: no gap, not a negative read.
    expect(callGap({ done: 10, baselineDone: 4, counter: 11, baselineCounter: 3 })).toBeLessThan(0);
    expect(callGap({ done: null, baselineDone: 0, counter: 0, baselineCounter: 0 })).toBe(0);
  });

  it('startingCounter: a baseline takes the counter as it is, a new task 0, an off-mode snapshot its announced calls', () => {
    // History: calls pushed before the first look are in byrobot's count and the counter alike.
    expect(startingCounter(undefined, 5, true)).toBe(5);
    // Announced from birth (created since, or backfill): every push counts against the done calls.
    expect(startingCounter(undefined, 5, false)).toBe(0);
    // Written with callbacks off: its `announced` calls never reached the counter, and the 2 the
    // counter holds were pushed since.
    expect(startingCounter({ announced: 7 }, 2, false)).toBe(-7);
    expect(callGap({ done: 9, baselineDone: 0, counter: 2, baselineCounter: -7 })).toBe(0);
    expect(callGap({ done: 10, baselineDone: 0, counter: 2, baselineCounter: -7 })).toBe(1);
    // Already on: kept.
    expect(startingCounter({ announced: 7, baselineCounter: 1 }, 40, false)).toBe(1);
  });

  it('gapTiming: a gap is noted when first seen and read only once older than the grace period', () => {
    const t0 = '2026-11-23T10:00:00+08:00';
    expect(gapTiming(0, t0, t0, 120_000)).toEqual({ since: undefined, read: false });
    expect(gapTiming(2, undefined, t0, 120_000)).toEqual({ since: t0, read: false });
    expect(gapTiming(2, t0, '2026-11-23T10:01:59+08:00', 120_000)).toEqual({ since: t0, read: false });
    expect(gapTiming(2, t0, '2026-11-23T10:02:00+08:00', 120_000)).toEqual({ since: t0, read: true });
    expect(gapTiming(1, undefined, t0, 0)).toEqual({ since: t0, read: true });
  });

  it('endedBefore: a call that ended within the grace period waits for its push', () => {
    const cutoff = Date.parse('2026-11-23T10:00:00+08:00');
    expect(endedBefore('2026-11-23T09:59:59+08:00', cutoff)).toBe(true);
    expect(endedBefore('2026-11-23T10:00:01+08:00', cutoff)).toBe(false);
    expect(endedBefore(null, cutoff)).toBe(true);
  });
});

describe('Poller configuration: callbacks', () => {
  const env = { TABLE_NAME: 't', EVENT_BUS_NAME: 'b', BYROBOT_APP_KEY: 'k', BYROBOT_APP_SECRET: 's' };

  it('off with a 2-minute grace period unless BRIDGE_CALLBACKS and CALLBACK_GRACE_SECONDS say otherwise', () => {
    expect(readPollerConfig(env)).toMatchObject({ callbacks: false, callbackGraceSeconds: 120 });
    expect(readPollerConfig({ ...env, BRIDGE_CALLBACKS: 'on', CALLBACK_GRACE_SECONDS: '300' })).toMatchObject(
      { callbacks: true, callbackGraceSeconds: 300 },
    );
    expect(readPollerConfig({ ...env, CALLBACK_GRACE_SECONDS: '0' }).callbackGraceSeconds).toBe(0);
  });

  it('names the variable and the rule when a value is wrong', () => {
    expect(() => readPollerConfig({ ...env, BRIDGE_CALLBACKS: 'yes' })).toThrow(
      /BRIDGE_CALLBACKS must be "on" or "off", got "yes"/,
    );
    for (const bad of ['-1', '1.5', '2m', 'abc'])
      expect(() => readPollerConfig({ ...env, CALLBACK_GRACE_SECONDS: bad })).toThrow(
        /CALLBACK_GRACE_SECONDS must be a whole number of seconds ≥ 0/,
      );
  });
});

describe('Poller metrics: CallsAnnouncedByReconciler', () => {
  const company = (callsReconciled: number): CompanyCycleReport => ({
    companyId: 1,
    outcome: 'done',
    pagesListed: 1,
    tasksListed: 1,
    tasksChanged: 1,
    tasksCommitted: 1,
    tasksDeferred: 0,
    failures: [],
    events: {},
    callsReconciled,
    durationMs: 1,
  });
  const names = (report: PollRunReport) => {
    const { metrics } = createObservability('poller');
    recordPollMetrics(metrics, report, MetricUnit);
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
    };
    return { emf, names: emf._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name) };
  };

  it('with callbacks on, the calls the reconciler announced across companies, 0 included', () => {
    const on = names({
      companies: [company(2), company(3)],
      byrobotRequests: {},
      callbacks: true,
      durationMs: 5,
    });
    expect(on.names).toContain('CallsAnnouncedByReconciler');
    expect(on.emf.CallsAnnouncedByReconciler).toBe(5);
    expect(on.emf._aws.CloudWatchMetrics[0]!.Namespace).toBe('ByrobotBridge');
    const none = names({ companies: [company(0)], byrobotRequests: {}, callbacks: true, durationMs: 5 });
    expect(none.emf.CallsAnnouncedByReconciler).toBe(0);
  });

  it('with callbacks off, not at all (the metrics stay as they were)', () => {
    const off = names({ companies: [company(0)], byrobotRequests: {}, callbacks: false, durationMs: 5 });
    expect(off.names).not.toContain('CallsAnnouncedByReconciler');
    expect(off.names).toContain('PollCycles');
  });
});
