import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NOTIFICATION_RULES, type NotificationRule, type Recipient } from '../shared/notify/rules.ts';

export type { NotificationRule, Recipient } from '../shared/notify/rules.ts';

/** Everything that differs between environments. One typed object per stage. */
export interface StageSettings {
  /**
   * The AWS account this stage deploys to, and nowhere else: CDK refuses to deploy with credentials
   * of another account, so a dev profile cannot deploy prod. `null` until someone fills it in, and
   * then synthesis refuses (except `-c ci=true`, which synthesizes for an account nobody has).
   */
  account: string | null;
  /** The region (docs/deploy.md says which have nodejs24.x on arm64, Scheduler and Schemas). */
  region: string;
  /** byrobot's API address. */
  byrobotBaseUrl: string;
  /** Companies to poll, or 'all' the app key manages. */
  pollCompanies: number[] | 'all';
  /** EventBridge Scheduler rate for the poller. */
  pollRate: Duration;
  /**
   * Whether the schedule runs after a deploy. Off in dev: a dev stack would otherwise poll the real
   * byrobot with the dev credentials around the clock; `-c poll=on` turns it on for one deploy.
   */
  pollEnabled: boolean;
  /** Announce calls that existed before a task was first seen (POLL_BACKFILL). */
  backfill: boolean;
  /** byrobot requests the poller keeps in flight at once (BYROBOT_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** `source` of every event the bridge publishes (EVENT_SOURCE). */
  eventSource: string;
  secrets: {
    /** `{"appKey": "…", "appSecret": "…"}` */
    byrobotCredentials: string;
    /** `{"keys": [{ "id", "hash": "sha256:…", "scopes", "companies" }]}` (docs/api.md) */
    apiKeys: string;
    /** `{"sources": [{ "name", "secrets": ["whsec_…"], "companies", "mapping"? }]}` (docs/api.md) */
    webhookSources: string;
    /** `{"token": "<16–256 URL-safe characters>"}`: the path segment of byrobot's callback URLs (docs/deploy.md) */
    callbackToken: string;
  };
  /**
   * byrobot's push callbacks (docs/deploy.md, "Push callbacks"). The receiver route is deployed
   * either way; `on` makes the poller a reconciler that reads only calls no callback delivered
   * within `callbackGraceSeconds` (BRIDGE_CALLBACKS, CALLBACK_GRACE_SECONDS); `off` polls as before.
   */
  callbacks: 'on' | 'off';
  /** How long the reconciler waits for a call's callback before reading the call itself. @default 120 */
  callbackGraceSeconds: number;
  /** Source IPs byrobot's callbacks may come from (empty: any); byrobot documents 120.55.46.3. */
  callbackSourceIps: string[];
  /**
   * Check byrobot's `sign`/`dateTime` on each callback (only once byrobot enabled them for the
   * account, "需联系开通"; the computation is assumed, shared/callbacks/signature.ts).
   */
  callbackSignature: boolean;
  /**
   * How long the bus archive keeps events for replay. The archive holds every event, `Call
   * Completed` with names, phones, transcripts and recording URLs, under the stage's own KMS key
   * (docs/deploy.md, "Personal data").
   */
  archiveRetention: Duration;
  notifications: NotificationRule[];
  /**
   * Receives every operational alarm: an SSM parameter read at deploy time (or a real address; a
   * placeholder such as `@example.com` fails synthesis).
   */
  alarmEmail: Recipient;
  removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection on the table (everywhere but dev). */
  deletionProtection: boolean;
  logRetention: RetentionDays;
  /** Source-mapped stack traces in logs (`--enable-source-maps`), at a cold-start cost (docs/performance.md). */
  sourceMapsAtRuntime: boolean;
  /** API Gateway default-route throttling. */
  apiThrottle: { rateLimit: number; burstLimit: number };
}

/** The SSM parameter holding the stage's alarm address (a String parameter, created once by hand). */
export const alarmEmailParameter = (stage: string) => `/byrobot-bridge/${stage}/alarm-email`;

/**
 * What the stages share, and what follows from a stage's name: its secrets' names, its alarm
 * address's parameter and its notification rules (shared/notify/rules.ts). A stage may override any.
 */
const shared = (name: string) => ({
  region: 'ap-east-1',
  byrobotBaseUrl: 'https://api.byrobot.cn',
  pollCompanies: 'all' as const,
  pollRate: Duration.minutes(1),
  backfill: false,
  eventSource: 'byrobot.bridge',
  secrets: {
    byrobotCredentials: `byrobot-bridge/${name}/byrobot-credentials`,
    apiKeys: `byrobot-bridge/${name}/api-keys`,
    webhookSources: `byrobot-bridge/${name}/webhook-sources`,
    callbackToken: `byrobot-bridge/${name}/callback-token`,
  },
  callbackGraceSeconds: 120,
  callbackSignature: false,
  notifications: NOTIFICATION_RULES[name]!,
  alarmEmail: { ssmParameter: alarmEmailParameter(name) },
});
type Shared = keyof ReturnType<typeof shared>;
const stage = (name: string, own: Omit<StageSettings, Shared> & Partial<StageSettings>): StageSettings => ({
  ...shared(name),
  ...own,
});

export const STAGES: Record<string, StageSettings> = {
  dev: stage('dev', {
    account: null,
    pollEnabled: false,
    maxInFlight: 4,
    callbacks: 'off',
    callbackSourceIps: [],
    archiveRetention: Duration.days(7),
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    logRetention: RetentionDays.ONE_WEEK,
    sourceMapsAtRuntime: true,
    apiThrottle: { rateLimit: 20, burstLimit: 40 },
  }),
  prod: stage('prod', {
    account: null,
    pollEnabled: true,
    maxInFlight: 8,
    callbacks: 'on',
    // byrobot's documented callback server (reference/byrobot-docs/callback.md).
    callbackSourceIps: ['120.55.46.3'],
    archiveRetention: Duration.days(90),
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    logRetention: RetentionDays.THREE_MONTHS,
    sourceMapsAtRuntime: false,
    apiThrottle: { rateLimit: 100, burstLimit: 200 },
  }),
};

/** The stage's settings; an unknown or missing stage fails synth, listing the known ones. */
export function stageSettings(stage: unknown): StageSettings {
  const known = Object.keys(STAGES);
  if (typeof stage !== 'string' || !Object.hasOwn(STAGES, stage)) {
    throw new Error(
      `unknown stage ${JSON.stringify(stage)}: pass -c stage=<name>, one of ${known.join(', ')} (infra/stages.ts)`,
    );
  }
  return STAGES[stage]!;
}
