/**
 * Notification rules: which events go to email and to Slack. Plain data, read by the CDK app
 * (one EventBridge rule each, infra/constructs/notifications.ts) and by the local stack, which
 * evaluates the same patterns with EventBridge's semantics (dev/event-pattern.ts).
 */

/** An EventBridge event pattern (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). */
export type EventPattern = { [field: string]: unknown };

/**
 * An email address, or the name of an SSM String parameter holding one: CloudFormation reads the
 * parameter at deploy time, so a deployed stage's address lives in its account, not in this
 * repository.
 */
export type Recipient = string | { ssmParameter: string };

/** For people: the address itself, or where it is read from. */
export const describeRecipient = (r: Recipient): string =>
  typeof r === 'string' ? r : `the address in SSM parameter ${r.ssmParameter}`;

/** Domains reserved for examples (RFC 2606, RFC 6761): mail to them never reaches anyone. */
const PLACEHOLDER_DOMAIN =
  /@(([^@]+\.)?example(\.(com|net|org))?|[^@]+\.(test|invalid|localhost)|localhost)$/i;

/**
 * Throws when a deployed stage would subscribe an address nobody reads, naming the setting. An SSM
 * parameter passes: its value is the account's business, checked by the confirmation mail.
 */
export function refusePlaceholderRecipient(r: Recipient | undefined, setting: string): void {
  if (typeof r === 'string' && PLACEHOLDER_DOMAIN.test(r.trim()))
    throw new Error(
      `${setting} is the placeholder address "${r}": a deployed stage needs a real one; set it to { ssmParameter: '/byrobot-bridge/<stage>/…' } and create that SSM parameter (docs/deploy.md)`,
    );
}

export interface NotificationRule {
  /** Becomes part of the rule's name: lowercase letters, digits, dashes, unique per stage. */
  name: string;
  description: string;
  /** An EventBridge event pattern; the bridge's `source` is added when absent. */
  pattern: EventPattern;
  /** Subscribed to the rule's SNS topic on AWS (the address confirms once); printed locally. */
  email?: Recipient;
  /**
   * Name of a Secrets Manager secret holding `{"webhookUrl": "https://hooks.slack.com/…"}`. Locally
   * the URL comes from the local secrets file or `SLACK_WEBHOOK_URL` (docs/cli.md).
   */
  slackWebhookSecret?: string;
}

const taskCompletedEmail = (email: Recipient): NotificationRule => ({
  name: 'task-completed-email',
  description: 'Every Task Completed, by email',
  pattern: { 'detail-type': ['Task Completed'] },
  email,
});
/** Deployed stages read the calling team's address from SSM at deploy time (docs/deploy.md). */
const callingTeam = (stage: string) => ({ ssmParameter: `/byrobot-bridge/${stage}/calling-team-email` });

const hotLeadsSlack = (stage: string): NotificationRule => ({
  name: 'hot-leads-slack',
  description: 'Calls with intent level A or B, to Slack',
  pattern: { 'detail-type': ['Call Completed'], detail: { intentLevel: ['A', 'B'] } },
  slackWebhookSecret: `byrobot-bridge/${stage}/slack-hot-leads`,
});

/** Each stage's rules; `local` is what `npm start` evaluates unless told another stage. */
export const NOTIFICATION_RULES: Record<string, NotificationRule[]> = {
  dev: [taskCompletedEmail(callingTeam('dev')), hotLeadsSlack('dev')],
  prod: [taskCompletedEmail(callingTeam('prod'))],
  // Printed, never sent: the local stack has no mail.
  local: [taskCompletedEmail('calling-team@example.com'), hotLeadsSlack('local')],
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
