import { readFileSync } from 'node:fs';
import type { EventBridgeEvent } from 'aws-lambda';
import { type EventPattern, matchPattern, validatePattern } from '../../dev/event-pattern.ts';
import type { StoredEvent } from '../../dev/format-line.ts';
import { emailTemplateFor, renderEmail } from '../../shared/notify/email.ts';
import {
  describeRecipient,
  type NotificationRule,
  validateNotificationRules,
} from '../../shared/notify/rules.ts';
import { postToSlack, slackMessage } from '../../shared/notify/slack.ts';

/**
 * The stage's notification rules, run against the local bus: every accepted event is matched against
 * each rule's pattern with EventBridge's semantics; an email rule prints the body the SNS email would
 * carry, a Slack rule posts the same message the forwarder Lambda posts. Stands in for the rules,
 * SNS topics and the slack-notify Lambda that infra/constructs/notifications.ts deploys.
 */

export interface LocalNotifierOptions {
  rules: readonly NotificationRule[];
  /** Added to every rule pattern that names no `source`, as the CDK app does. */
  eventSource: string;
  /**
   * Read once, here: LOCAL_SECRETS_FILE (a JSON object, secret name → secret value) and
   * SLACK_WEBHOOK_URL (every Slack rule without a secret in the file). @default process.env
   */
  env?: Record<string, string | undefined>;
  /** One line of output (email bodies, Slack posts). @default stdout */
  out?: (line: string) => void;
  /** One line about a failure. @default stderr */
  err?: (line: string) => void;
  fetchImpl?: typeof fetch;
  /** Retries after a failed Slack post, as the forwarder's async invoke retries twice on AWS. @default 2 */
  slackRetries?: number;
  /** Wait before retry n (1, 2, …). @default 1 s, 2 s, … */
  retryDelayMs?: (retry: number) => number;
}

export interface LocalNotifier {
  /** The bus's `onEvents`: matches at once, delivers in the background, never throws. */
  handle(events: StoredEvent[]): void;
  /** Resolves when every delivery started so far has succeeded or given up. */
  idle(): Promise<void>;
  /** One line per rule: where its notifications go. */
  describe(): string[];
  stats: {
    matched: number;
    emails: number;
    slackPosted: number;
    slackFailed: number;
    slackUnconfigured: number;
  };
}

interface PreparedRule {
  rule: NotificationRule;
  pattern: EventPattern;
  webhookUrl: string | undefined;
  /** Where the URL came from, for the start-up line. */
  urlSource: string | undefined;
}

/** Throws, naming the file or secret, when the local secrets cannot be read: better at start than at the first hot lead. */
export function createLocalNotifier(options: LocalNotifierOptions): LocalNotifier {
  const env = options.env ?? process.env;
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const retries = options.slackRetries ?? 2;
  const delay = options.retryDelayMs ?? ((n: number) => 1000 * n);
  validateNotificationRules(options.rules);
  const secrets = readLocalSecrets(env.LOCAL_SECRETS_FILE);
  const fallbackUrl = env.SLACK_WEBHOOK_URL?.trim() || undefined;

  // Rules with only deliverer destinations are local/notify/deliveries.ts's to run.
  const prepared: PreparedRule[] = options.rules
    .filter((r) => r.email || r.slackWebhookSecret)
    .map((rule) => {
      // A rule's own `source` wins, as in `{ source: [eventSource], ...rule.pattern }` in the CDK app.
      const pattern = { source: [options.eventSource], ...rule.pattern };
      try {
        validatePattern(pattern);
      } catch (error) {
        throw new Error(`notification rule "${rule.name}": ${(error as Error).message}`);
      }
      let webhookUrl: string | undefined;
      let urlSource: string | undefined;
      if (rule.slackWebhookSecret) {
        const fromFile = secrets && webhookUrlOf(secrets, rule.slackWebhookSecret, env.LOCAL_SECRETS_FILE!);
        if (fromFile)
          [webhookUrl, urlSource] = [fromFile, `secret ${rule.slackWebhookSecret} in LOCAL_SECRETS_FILE`];
        else if (fallbackUrl) [webhookUrl, urlSource] = [fallbackUrl, 'SLACK_WEBHOOK_URL'];
      }
      return { rule, pattern, webhookUrl, urlSource };
    });

  const inFlight = new Set<Promise<void>>();
  const unconfiguredSaid = new Set<string>();
  const stats = { matched: 0, emails: 0, slackPosted: 0, slackFailed: 0, slackUnconfigured: 0 };

  function track(work: Promise<void>) {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  async function deliverSlack(p: PreparedRule, url: string, message: { text: string }, event: StoredEvent) {
    for (let attempt = 0; ; attempt++) {
      try {
        await postToSlack(url, message, options.fetchImpl);
        stats.slackPosted++;
        out(`slack (rule ${p.rule.name}): posted ${message.text}`);
        return;
      } catch (error) {
        const why = (error as Error).message;
        if (attempt >= retries) {
          stats.slackFailed++;
          err(
            `slack (rule ${p.rule.name}): gave up on event ${event.id} after ${attempt + 1} attempts: ${why}`,
          );
          return;
        }
        err(`slack (rule ${p.rule.name}): attempt ${attempt + 1} failed (${why}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, delay(attempt + 1)));
      }
    }
  }

  function notify(p: PreparedRule, event: StoredEvent) {
    if (p.rule.email) {
      stats.emails++;
      const body = renderEmail(event, emailTemplateFor(p.rule.pattern))
        .split('\n')
        .map((line) => `  ${line}`);
      out([`email (rule ${p.rule.name}) to ${describeRecipient(p.rule.email)}:`, ...body].join('\n'));
    }
    if (p.rule.slackWebhookSecret) {
      const message = slackMessage(event as unknown as EventBridgeEvent<string, never>);
      if (p.webhookUrl) {
        track(deliverSlack(p, p.webhookUrl, message, event));
      } else {
        stats.slackUnconfigured++;
        // Once per rule: a busy demo would otherwise print the same advice for every call.
        if (!unconfiguredSaid.has(p.rule.name)) {
          unconfiguredSaid.add(p.rule.name);
          out(
            `slack (rule ${p.rule.name}): would post ${JSON.stringify(message.text)} but has no webhook URL; set SLACK_WEBHOOK_URL, or LOCAL_SECRETS_FILE to a JSON file with {"${p.rule.slackWebhookSecret}": {"webhookUrl": "…"}} (further matches are not printed)`,
          );
        }
      }
    }
  }

  return {
    stats,
    handle(events) {
      for (const event of events) {
        for (const p of prepared) {
          try {
            if (!matchPattern(p.pattern, event)) continue;
            stats.matched++;
            notify(p, event);
          } catch (error) {
            err(`notification rule ${p.rule.name}: ${(error as Error).message}`);
          }
        }
      }
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    describe() {
      return prepared.map(({ rule, webhookUrl, urlSource }) => {
        const targets = [
          rule.email ? `email to ${describeRecipient(rule.email)} (printed here)` : null,
          rule.slackWebhookSecret
            ? webhookUrl
              ? `Slack at ${redactUrl(webhookUrl)} (${urlSource})`
              : 'Slack (no webhook URL: printed once)'
            : null,
        ].filter(Boolean);
        return `${rule.name}: ${targets.join(', ')}`;
      });
    },
  };
}

export function readLocalSecrets(file: string | undefined): Record<string, unknown> | null {
  if (!file) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`LOCAL_SECRETS_FILE ${file} cannot be read: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`LOCAL_SECRETS_FILE ${file} is not JSON: ${(error as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`LOCAL_SECRETS_FILE ${file} must hold a JSON object: secret name → secret value`);
  // A secret's value is given as an object or as its JSON text (as Secrets Manager keeps it).
  return Object.fromEntries(Object.entries(value).map(([name, secret]) => [name, parsedIfJson(secret)]));
}

function parsedIfJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value; // not JSON: whoever reads the secret reports it
  }
}

/** A secret's value as the forwarder reads it: `{"webhookUrl": …}`. */
function webhookUrlOf(secrets: Record<string, unknown>, name: string, file: string): string | undefined {
  if (!(name in secrets)) return undefined;
  const url = (secrets[name] as { webhookUrl?: unknown } | null)?.webhookUrl;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url))
    throw new Error(`LOCAL_SECRETS_FILE ${file}: secret "${name}" must be {"webhookUrl": "https://…"}`);
  return url;
}

/** A Slack webhook URL is the credential (hooks.slack.com/services/T…/B…/secret): show only where it points. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.hostname === 'hooks.slack.com' ? `${u.origin}/services/…` : `${u.origin}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
