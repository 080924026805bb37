import { DESTINATION_KINDS, type DestinationRef } from '../delivery/destinations.ts';

/**
 * Notification rules: which events go to email, Slack and the deliverer's destinations (DingTalk,
 * WeCom, Feishu, signed webhooks). Plain data, read by the CDK app (one EventBridge rule each,
 * infra/constructs/notifications.ts and infra/constructs/delivery.ts) and by the local stack, which
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
  /**
   * Destinations the deliverer posts to (shared/delivery/): each gets its own queue, retries, DLQ,
   * pause and delivery log. Locally the URLs and secrets come from LOCAL_SECRETS_FILE or from
   * DINGTALK_WEBHOOK_URL + DINGTALK_SECRET, WECOM_WEBHOOK_URL, FEISHU_WEBHOOK_URL + FEISHU_SECRET,
   * LOCAL_WEBHOOK_URL + LOCAL_WEBHOOK_SECRET (docs/destinations.md).
   */
  destinations?: DestinationRef[];
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

/** Hot leads to the team's group chats: DingTalk, WeCom and Feishu robots. */
const hotLeadsChats = (stage: string): NotificationRule => ({
  name: 'hot-leads-chat',
  description: 'Calls with intent level A or B, to the DingTalk, WeCom and Feishu group robots',
  pattern: { 'detail-type': ['Call Completed'], detail: { intentLevel: ['A', 'B'] } },
  destinations: [
    { kind: 'dingtalk', secret: `byrobot-bridge/${stage}/dingtalk-hot-leads` },
    { kind: 'wecom', secret: `byrobot-bridge/${stage}/wecom-hot-leads` },
    { kind: 'feishu', secret: `byrobot-bridge/${stage}/feishu-hot-leads` },
  ],
});

/** Every event, signed with Standard Webhooks, to the user's own endpoint (a CRM, a data pipeline). */
const allEventsWebhook = (stage: string): NotificationRule => ({
  name: 'all-events-webhook',
  description: 'Every bridge event, signed (Standard Webhooks), to the CRM endpoint',
  pattern: { 'detail-type': [{ exists: true }] },
  destinations: [{ kind: 'webhook', secret: `byrobot-bridge/${stage}/crm-webhook` }],
});

/** Each stage's rules; `local` is what `npm start` evaluates unless told another stage. */
export const NOTIFICATION_RULES: Record<string, NotificationRule[]> = {
  dev: [
    taskCompletedEmail(callingTeam('dev')),
    hotLeadsSlack('dev'),
    hotLeadsChats('dev'),
    allEventsWebhook('dev'),
  ],
  prod: [taskCompletedEmail(callingTeam('prod'))],
  // Printed, never sent: the local stack has no mail.
  local: [
    taskCompletedEmail('calling-team@example.com'),
    hotLeadsSlack('local'),
    hotLeadsChats('local'),
    allEventsWebhook('local'),
  ],
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
    if (!rule.email && !rule.slackWebhookSecret && !rule.destinations?.length)
      throw new Error(
        `notification rule "${rule.name}" has no target: give it email, slackWebhookSecret or destinations`,
      );
    const kinds = new Set<string>();
    for (const d of rule.destinations ?? []) {
      if (!DESTINATION_KINDS.includes(d.kind))
        throw new Error(
          `notification rule "${rule.name}": destination kind "${d.kind}" is not one of ${DESTINATION_KINDS.join(', ')}`,
        );
      if (kinds.has(d.kind))
        throw new Error(`notification rule "${rule.name}" names destination kind "${d.kind}" twice`);
      kinds.add(d.kind);
      if (!d.secret)
        throw new Error(`notification rule "${rule.name}": destination ${d.kind} needs a secret name`);
    }
  }
}
