import { type BridgeConfig, readBridgeConfig } from '../config/secrets.ts';

export interface PollerConfig extends BridgeConfig {
  /** Company ids to poll, or 'all' (every company the app key manages). */
  companies: number[] | 'all';
  backfill: boolean;
  maxInFlight: number;
  /**
   * byrobot pushes call records and task statuses (BRIDGE_CALLBACKS=on): the poller reconciles,
   * reading calls only where push left a gap. @default false (off: the poller reads every call)
   */
  callbacks?: boolean;
  /** How long a call may wait for its push before the reconciler reads it (CALLBACK_GRACE_SECONDS). @default 120 */
  callbackGraceSeconds?: number;
}

type Env = Record<string, string | undefined>;

/**
 * Reads the poller's configuration once, failing fast with the name of what is missing.
 * Credentials: BYROBOT_APP_KEY + BYROBOT_APP_SECRET, or BYROBOT_CREDENTIALS_SECRET naming a Secrets
 * Manager secret whose value is `{"appKey": "…", "appSecret": "…"}`.
 */
export function readPollerConfig(env: Env = process.env): PollerConfig {
  const companiesText = env.POLL_COMPANIES?.trim() || 'all';
  let companies: number[] | 'all' = 'all';
  if (companiesText !== 'all') {
    companies = companiesText.split(',').map((s) => Number(s.trim()));
    if (companies.some((n) => !Number.isInteger(n) || n <= 0)) {
      throw new Error(
        `poller configuration: POLL_COMPANIES must be "all" or company ids like "1,2", got "${companiesText}"`,
      );
    }
  }
  const maxInFlight = Number(env.BYROBOT_MAX_IN_FLIGHT ?? 4);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new Error('poller configuration: BYROBOT_MAX_IN_FLIGHT must be a whole number ≥ 1');
  }
  const callbacksText = env.BRIDGE_CALLBACKS?.trim() || 'off';
  if (callbacksText !== 'on' && callbacksText !== 'off') {
    throw new Error(`poller configuration: BRIDGE_CALLBACKS must be "on" or "off", got "${callbacksText}"`);
  }
  const graceText = env.CALLBACK_GRACE_SECONDS?.trim() || '120';
  const callbackGraceSeconds = Number(graceText);
  if (!/^\d+$/.test(graceText) || !Number.isSafeInteger(callbackGraceSeconds)) {
    throw new Error(
      `poller configuration: CALLBACK_GRACE_SECONDS must be a whole number of seconds ≥ 0, got "${graceText}"`,
    );
  }
  return {
    ...readBridgeConfig(env, 'poller'),
    companies,
    backfill: env.POLL_BACKFILL === 'true',
    maxInFlight,
    callbacks: callbacksText === 'on',
    callbackGraceSeconds,
  };
}
