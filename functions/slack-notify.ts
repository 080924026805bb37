import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { requiredEnv, secretJson } from '../shared/config/secrets.ts';
import { CHAT_DESTINATIONS, CHAT_MIN_INTERVAL_ENV, paced } from '../shared/notify/pace.ts';
import { postToSlack, slackMessage } from '../shared/notify/slack.ts';
import { createObservability } from '../shared/observability/powertools.ts';

const { logger } = createObservability('slack-notify');
// The webhook URL is a secret: read at run time, never in the template.
const webhookUrl = secretJson(requiredEnv(process.env, 'SLACK_WEBHOOK_SECRET', 'slack-notify'), (v) => {
  const url = (v as { webhookUrl?: unknown })?.webhookUrl;
  // https only; plain http is allowed on loopback, for a local stand-in of Slack.
  if (typeof url !== 'string' || !/^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost)[:/])/.test(url))
    throw new Error('the Slack secret must be {"webhookUrl": "https://…"}');
  return url;
});

// Slack takes about a message a second: with reserved concurrency 1 (infra), this spacing keeps a
// warm container under the rate too (shared/notify/pace.ts).
const pace = paced(Number(process.env[CHAT_MIN_INTERVAL_ENV] ?? CHAT_DESTINATIONS.slack.minIntervalMs));

/** EventBridge rule → a Slack incoming webhook. */
export const handler = middy<EventBridgeEvent<string, never>>()
  .use(injectLambdaContext(logger))
  .handler(async (event: EventBridgeEvent<string, never>) => {
    const url = await webhookUrl();
    await pace(() => postToSlack(url, slackMessage(event)));
  });
