import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { requiredEnv, secretJson } from '../shared/config/secrets.ts';
import { Deliverer } from '../shared/delivery/deliverer.ts';
import {
  checkCredentials,
  DESTINATION_KINDS,
  type DestinationKind,
} from '../shared/delivery/destinations.ts';
import { DeliveryLog } from '../shared/delivery/log-store.ts';
import { sqsDeliveryHandler } from '../shared/delivery/sqs-handler.ts';
import { createObservability } from '../shared/observability/powertools.ts';
import { createDocumentClient } from '../shared/store/dynamo.ts';

const env = process.env;
const { logger, metrics } = createObservability('deliver');
const what = 'deliver';
const kind = requiredEnv(env, 'DESTINATION_KIND', what) as DestinationKind;
if (!DESTINATION_KINDS.includes(kind))
  throw new Error(`deliver configuration: DESTINATION_KIND ${kind} is unknown`);
const name = requiredEnv(env, 'DESTINATION_NAME', what);
const secret = requiredEnv(env, 'DESTINATION_SECRET', what);

/** One destination's queue → its deliverer; the URL and secrets are read at run time, never in the template. */
const deliverer = new Deliverer({
  destination: { kind, name, secret },
  credentials: secretJson(secret, (v) => checkCredentials(kind, v, `secret ${secret}`)),
  log: new DeliveryLog(createDocumentClient(), requiredEnv(env, 'TABLE_NAME', what)),
  pauseAfterSeconds: Number(env.PAUSE_AFTER_SECONDS ?? 6 * 3600),
  onPaused: (destination) => {
    logger.error('destination paused after failing too long', { destination });
    const m = metrics.singleMetric();
    m.addDimension('Destination', destination);
    m.addMetric('DestinationPaused', MetricUnit.Count, 1);
  },
});

export const handler = middy<SQSEvent>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(
    sqsDeliveryHandler(deliverer, {
      queueUrl: requiredEnv(env, 'QUEUE_URL', what),
      deadLetterQueueUrl: requiredEnv(env, 'DLQ_URL', what),
      logError: (message, extra) => logger.error(message, extra),
    }),
  );
