import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createObservability, metricsStage } from '../../../shared/observability/powertools.ts';

/*
 * Stages share the ByrobotBridge namespace and may share an account: every metric carries the
 * stage as a dimension, or dev's polls would keep prod's "poller silent" alarm quiet.
 */
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Powertools metrics carry the stage', () => {
  it('every metric has the stage (BRIDGE_STAGE) beside the service in its dimension set', () => {
    vi.stubEnv('BRIDGE_STAGE', 'prod');
    const { metrics } = createObservability('poller');
    metrics.addMetric('PollSucceeded', MetricUnit.Count, 1);
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    };
    expect(emf.stage).toBe('prod');
    expect(emf.service).toBe('poller');
    expect(emf._aws.CloudWatchMetrics[0]!.Dimensions[0]).toEqual(
      expect.arrayContaining(['service', 'stage']),
    );
    expect(emf._aws.CloudWatchMetrics[0]!.Namespace).toBe('ByrobotBridge');
  });

  it('off AWS the stage is "local", so a local run never looks like a deployed stage', () => {
    expect(metricsStage({})).toBe('local');
    expect(metricsStage({ BRIDGE_STAGE: 'dev' })).toBe('dev');
  });
});
