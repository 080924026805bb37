/**
 * Notification rules: which events go to email and to Slack. Plain data, read by the CDK app
 * (one EventBridge rule each, infra/constructs/notifications.ts) and by the local stack, which
 * evaluates the same patterns with EventBridge's semantics (dev/event-pattern.ts).
 */

/** An EventBridge event pattern (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). */
export type EventPattern = { [field: string]: unknown };

export interface NotificationRule {
  /** Becomes part of the rule's name: lowercase letters, digits, dashes, unique per stage. */
  name: string;
  description: string;
  /** An EventBridge event pattern; the bridge's `source` is added when absent. */
  pattern: EventPattern;
  /** Subscribed to the rule's SNS topic on AWS (the address confirms once); printed locally. */
  email?: string;
  /**
   * Name of a Secrets Manager secret holding `{"webhookUrl": "https://hooks.slack.com/…"}`. Locally
   * the URL comes from the local secrets file or `SLACK_WEBHOOK_URL` (docs/cli.md).
   */
  slackWebhookSecret?: string;
}

const taskCompletedEmail: NotificationRule = {
  name: 'task-completed-email',
  description: 'Every Task Completed, by email',
  pattern: { 'detail-type': ['Task Completed'] },
  email: 'calling-team@example.com',
};

const hotLeadsSlack = (stage: string): NotificationRule => ({
  name: 'hot-leads-slack',
  description: 'Calls with intent level A or B, to Slack',
  pattern: { 'detail-type': ['Call Completed'], detail: { intentLevel: ['A', 'B'] } },
  slackWebhookSecret: `byrobot-bridge/${stage}/slack-hot-leads`,
});

/** Each stage's rules; `local` is what `npm start` evaluates unless told another stage. */
export const NOTIFICATION_RULES: Record<string, NotificationRule[]> = {
  dev: [taskCompletedEmail, hotLeadsSlack('dev')],
  prod: [taskCompletedEmail],
  local: [taskCompletedEmail, hotLeadsSlack('local')],
};

/** Throws on a rule set that could not deploy: a bad or repeated name, or a rule with no target. */
export function validateNotificationRules(rules: readonly NotificationRule[]): void {
  const names = new Set<string>();
  for (const rule of rules) {
    if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(rule.name) || names.has(rule.name))
      throw new Error(
        `notification rule name "${rule.name}" must be unique, lowercase letters, digits, dashes`,
      );
    names.add(rule.name);
    if (!rule.email && !rule.slackWebhookSecret)
      throw new Error(`notification rule "${rule.name}" has neither email nor slackWebhookSecret`);
  }
}
