import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { emailTemplateFor } from '../../shared/notify/email.ts';
import { CHAT_DESTINATIONS, CHAT_MIN_INTERVAL_ENV } from '../../shared/notify/pace.ts';
import { type NotificationRule, validateNotificationRules } from '../../shared/notify/rules.ts';
import { BridgeFunction } from './bridge-function.ts';
import { recipientAddress } from './operations.ts';
import { deadLetterQueue } from './queues.ts';

/** What a construct that turns the stage's notification rules into targets on the bus needs. */
export interface RuleTargetsProps {
  stage: string;
  bus: events.IEventBus;
  eventSource: string;
  rules: NotificationRule[];
  removalPolicy: RemovalPolicy;
  logRetention: logs.RetentionDays;
}

export interface NotificationsProps extends RuleTargetsProps {
  /** Encrypts the notification topics; its policy lets EventBridge publish. */
  topicKey: kms.IKey;
}

/**
 * The email body (shared/notify/email.ts, the template the local stack renders too) as an input
 * transformer: each `<$.path>` becomes an EventField, so EventBridge fills it in.
 */
export const emailInput = (pattern: NotificationRule['pattern']) =>
  events.RuleTargetInput.fromText(
    emailTemplateFor(pattern)
      .join('\n')
      .replace(/<(\$[^<>]*)>/g, (_, path: string) => `${events.EventField.fromPath(path)}`),
  );

/**
 * Each stage notification rule becomes one EventBridge rule on the bus with an SNS email target
 * and/or a Slack target. Slack goes through a small forwarder Lambda (functions/slack-notify.ts)
 * that reads the incoming-webhook URL from Secrets Manager at run time: the URL is the credential
 * (hooks.slack.com/services/…), and an API destination would put it in the template.
 */
export class Notifications extends Construct {
  /** Every DLQ created here (rule targets, subscriptions, forwarder failures), for the alarms. */
  readonly deadLetterQueues: { name: string; queue: sqs.IQueue }[] = [];
  readonly topics: sns.Topic[] = [];
  readonly forwarders: BridgeFunction[] = [];

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    validateNotificationRules(props.rules);
    for (const rule of props.rules) this.addRule(rule, props);
  }

  private addRule(rule: NotificationRule, props: NotificationsProps) {
    const scope = new Construct(this, rule.name);
    const dlq = deadLetterQueue(scope, 'TargetDlq', props.removalPolicy);
    this.deadLetterQueues.push({ name: `${rule.name} targets`, queue: dlq });
    const eventRule = new events.Rule(scope, 'Rule', {
      eventBus: props.bus,
      ruleName: `byrobot-bridge-${props.stage}-${rule.name}`,
      description: rule.description,
      eventPattern: eventPattern({ source: [props.eventSource], ...rule.pattern }),
    });
    const delivery = { deadLetterQueue: dlq, retryAttempts: 8, maxEventAge: Duration.hours(2) };

    if (rule.email) {
      const topic = new sns.Topic(scope, 'Topic', {
        displayName: `byrobot-bridge ${props.stage}: ${rule.name}`,
        masterKey: props.topicKey,
        enforceSSL: true,
      });
      this.topics.push(topic);
      const subscriptionDlq = deadLetterQueue(scope, 'EmailDlq', props.removalPolicy);
      this.deadLetterQueues.push({ name: `${rule.name} email`, queue: subscriptionDlq });
      topic.addSubscription(
        new subscriptions.EmailSubscription(recipientAddress(scope, rule.email), {
          deadLetterQueue: subscriptionDlq,
        }),
      );
      eventRule.addTarget(new targets.SnsTopic(topic, { ...delivery, message: emailInput(rule.pattern) }));
    }

    if (rule.slackWebhookSecret) {
      const secret = secretsmanager.Secret.fromSecretNameV2(scope, 'SlackSecret', rule.slackWebhookSecret);
      const failures = deadLetterQueue(scope, 'SlackFailures', props.removalPolicy);
      this.deadLetterQueues.push({ name: `${rule.name} slack`, queue: failures });
      // One forwarder per webhook, one post in flight, paced inside (shared/notify/pace.ts): Slack
      // takes about a message a second. Throttled invocations wait in Lambda's async queue.
      const limits = CHAT_DESTINATIONS.slack;
      const forwarder = new BridgeFunction(scope, 'Slack', {
        name: 'slack-notify',
        stage: props.stage,
        environment: {
          SLACK_WEBHOOK_SECRET: rule.slackWebhookSecret,
          [CHAT_MIN_INTERVAL_ENV]: String(limits.minIntervalMs),
        },
        reservedConcurrency: limits.reservedConcurrency,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      // EventBridge invokes asynchronously: Slack refusing or timing out retries twice, then the
      // event lands in the failure queue with the error.
      forwarder.fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        onFailure: new destinations.SqsDestination(failures),
      });
      secret.grantRead(forwarder.fn);
      this.forwarders.push(forwarder);
      eventRule.addTarget(new targets.LambdaFunction(forwarder.fn, delivery));
    }
  }
}

/** A rule pattern in EventBridge's own JSON spelling, as CDK's camel-cased `EventPattern`. */
export function eventPattern(pattern: Record<string, unknown>): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType === undefined ? {} : { detailType }) } as events.EventPattern;
}
