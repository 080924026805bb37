import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createObservability } from '../shared/observability/powertools.ts';
import { readPollerConfig } from '../shared/poller/config.ts';
import { recordPollMetrics } from '../shared/poller/metrics.ts';
import { createPollerRuntime } from '../shared/poller/runtime.ts';

const { logger, metrics } = createObservability('poller');
const poller = createPollerRuntime(readPollerConfig(), { logger });

/** EventBridge Scheduler → one poll cycle over every configured company. */
export const handler = middy()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (_event: unknown, context: Context) => {
    const report = await poller.run({ remainingMs: () => context.getRemainingTimeInMillis() });
    recordPollMetrics(metrics, report, MetricUnit);
    logger.info('poll cycle finished', {
      report: { ...report, companies: report.companies.map(({ events, ...c }) => ({ ...c, events })) },
    });
    return report;
  });
