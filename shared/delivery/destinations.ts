/**
 * Destinations the deliverer posts to. A stage rule (shared/notify/rules.ts) names them; the CDK
 * app (infra/constructs/delivery.ts) and the local stack (local/notify/deliveries.ts) read the same
 * data. Each destination's URL, key and signing secret live in one Secrets Manager secret (locally
 * env or LOCAL_SECRETS_FILE), never in a template, a log or an event.
 */

export const DESTINATION_KINDS = ['dingtalk', 'wecom', 'feishu', 'webhook'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/** One destination of a rule, as the rule data names it. */
export interface DestinationRef {
  kind: DestinationKind;
  /**
   * Secrets Manager secret name. Its value: `{"webhookUrl": "https://…", "secret": "…"}`
   * (dingtalk, feishu: the signing secret), `{"webhookUrl": "…?key=…"}` (wecom: the key is in the
   * URL), `{"webhookUrl": "https://…", "secrets": ["whsec_…", …]}` (webhook: several during rotation).
   */
  secret: string;
}

/** What a destination's secret holds, once read and checked. */
export interface DestinationCredentials {
  webhookUrl: string;
  /** dingtalk / feishu signing secret; absent when the robot does not sign. */
  secret?: string;
  /** webhook: Standard Webhooks secrets (`whsec_…`); each signs, receivers accept any. */
  secrets?: string[];
}

/** A destination as the deliverer sees it: unique name per stage, kind, and where its secret is. */
export interface Destination extends DestinationRef {
  /** `<rule>-<kind>`: names its queue, DLQ, log entries and pause state. */
  name: string;
}

export const destinationName = (rule: string, kind: DestinationKind) => `${rule}-${kind}`;

/**
 * When each attempt happens, in seconds after the previous one failed: the first at once, then 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (Standard Webhooks' suggested schedule, as Svix publishes it).
 * After the last, the event goes to the destination's dead-letter queue, intact. Every delay is
 * below SQS's 12 h visibility ceiling, so on AWS a message waits in its own queue between attempts.
 */
export const RETRY_SCHEDULE_SECONDS: readonly number[] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];
export const MAX_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length;

/** A destination failing without a single success for this long is paused. @default 6 h */
export const DEFAULT_PAUSE_AFTER_SECONDS = 6 * 3600;

/** The per-robot rate limits the vendors publish: a reason to slow down, never to drop. */
export const RATE_LIMITS: Record<DestinationKind, { perMinute: number } | null> = {
  // "每个机器人每分钟最多发送20条。如果超过20条,会限流10分钟" (DingTalk custom robot docs)
  dingtalk: { perMinute: 20 },
  // WeCom group robot: "每个机器人发送的消息不能超过20条/分钟"
  wecom: { perMinute: 20 },
  // Feishu custom bot: 100 per minute and 5 per second per bot
  feishu: { perMinute: 100 },
  webhook: null,
};

/** Checks a secret's value for a kind; the message names the field, never the value. */
export function checkCredentials(
  kind: DestinationKind,
  value: unknown,
  where: string,
): DestinationCredentials {
  const v = value as Partial<DestinationCredentials> | null;
  const url = v?.webhookUrl;
  // https only; plain http on loopback, for local receivers and the local stack's stand-ins.
  if (typeof url !== 'string' || !/^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/])/.test(url))
    throw new Error(`${where}: webhookUrl must be an https:// URL (http:// only on loopback)`);
  if (kind === 'wecom' && !new URL(url).searchParams.get('key'))
    throw new Error(`${where}: a WeCom webhookUrl carries its key: …/cgi-bin/webhook/send?key=…`);
  if (kind === 'webhook') {
    const secrets = v?.secrets;
    if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((s) => /^whsec_./.test(String(s))))
      throw new Error(`${where}: secrets must be a non-empty list of whsec_… secrets`);
    return { webhookUrl: url, secrets: secrets.map(String) };
  }
  if (v?.secret !== undefined && (typeof v.secret !== 'string' || v.secret === ''))
    throw new Error(`${where}: secret must be a non-empty string when present`);
  return { webhookUrl: url, ...(v?.secret ? { secret: v.secret } : {}) };
}
