import { type EventPattern, matchPattern, validatePattern } from '../../dev/event-pattern.ts';
import type { StoredEvent } from '../../dev/format-line.ts';
import type { DeliveryControl } from '../../shared/delivery/control.ts';
import { Deliverer, type DeliveryOutcome } from '../../shared/delivery/deliverer.ts';
import {
  checkCredentials,
  type Destination,
  type DestinationCredentials,
  type DestinationKind,
  destinationName,
} from '../../shared/delivery/destinations.ts';
import type { DeliveryLog } from '../../shared/delivery/log-store.ts';
import { type BusEvent, eventIdOf } from '../../shared/delivery/send.ts';
import type { NotificationRule } from '../../shared/notify/rules.ts';
import { readLocalSecrets } from './index.ts';

/**
 * The deliverer locally: the same Deliverer (shared/delivery/deliverer.ts) that the deliver Lambda
 * runs, fed by the stage's rules matched against the local bus, with in-process timers standing in
 * for each destination's SQS queue (its retry delays) and a list standing in for its DLQ.
 */

/** Where each kind's URL and secret come from when LOCAL_SECRETS_FILE does not name its secret. */
export const LOCAL_DESTINATION_ENV: Record<DestinationKind, { url: string; secret?: string }> = {
  dingtalk: { url: 'DINGTALK_WEBHOOK_URL', secret: 'DINGTALK_SECRET' },
  wecom: { url: 'WECOM_WEBHOOK_URL' },
  feishu: { url: 'FEISHU_WEBHOOK_URL', secret: 'FEISHU_SECRET' },
  // Several secrets (rotation) separated by spaces or commas.
  webhook: { url: 'LOCAL_WEBHOOK_URL', secret: 'LOCAL_WEBHOOK_SECRET' },
};

export interface LocalDeliveriesOptions {
  rules: readonly NotificationRule[];
  eventSource: string;
  log: DeliveryLog;
  env?: Record<string, string | undefined>;
  out?: (line: string) => void;
  err?: (line: string) => void;
  fetchImpl?: typeof fetch;
  /** The wait before a retry, from the schedule's seconds. @default the schedule itself */
  retryDelayMs?: (seconds: number) => number;
  pauseAfterSeconds?: number;
  now?: () => number;
}

interface LocalDestination {
  destination: Destination;
  pattern: EventPattern;
  deliverer: Deliverer | null;
  urlSource: string | null;
  deadLetters: BusEvent[];
}

function localCredentials(
  d: Destination,
  env: Record<string, string | undefined>,
  secrets: Record<string, unknown> | null,
  file: string | undefined,
): { credentials: DestinationCredentials; source: string } | null {
  if (secrets && d.secret in secrets) {
    return {
      credentials: checkCredentials(
        d.kind,
        secrets[d.secret],
        `LOCAL_SECRETS_FILE ${file}: secret "${d.secret}"`,
      ),
      source: `secret ${d.secret} in LOCAL_SECRETS_FILE`,
    };
  }
  const names = LOCAL_DESTINATION_ENV[d.kind];
  const url = env[names.url]?.trim();
  if (!url) return null;
  const secret = names.secret ? env[names.secret]?.trim() : undefined;
  const value =
    d.kind === 'webhook'
      ? { webhookUrl: url, secrets: (secret ?? '').split(/[\s,]+/).filter(Boolean) }
      : { webhookUrl: url, ...(secret ? { secret } : {}) };
  return {
    credentials: checkCredentials(d.kind, value, `${names.url}${names.secret ? ` / ${names.secret}` : ''}`),
    source: names.url,
  };
}

export function createLocalDeliveries(options: LocalDeliveriesOptions): DeliveryControl & LocalRunner {
  const env = options.env ?? process.env;
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const delayMs = options.retryDelayMs ?? ((s: number) => s * 1000);
  const secrets = readLocalSecrets(env.LOCAL_SECRETS_FILE);
  const destinations = new Map<string, LocalDestination>();
  for (const rule of options.rules) {
    const pattern = { source: [options.eventSource], ...rule.pattern };
    validatePattern(pattern);
    for (const ref of rule.destinations ?? []) {
      const destination = { ...ref, name: destinationName(rule.name, ref.kind) };
      const found = localCredentials(destination, env, secrets, env.LOCAL_SECRETS_FILE);
      destinations.set(destination.name, {
        destination,
        pattern,
        // Only the origin: DingTalk's token, WeCom's key and Feishu's hook id are the credential.
        urlSource: found ? `${new URL(found.credentials.webhookUrl).origin}/… (${found.source})` : null,
        deadLetters: [],
        deliverer: found
          ? new Deliverer({
              destination,
              credentials: async () => found.credentials,
              log: options.log,
              pauseAfterSeconds: options.pauseAfterSeconds,
              fetchImpl: options.fetchImpl,
              now: options.now,
              onPaused: (name) =>
                err(
                  `delivery: destination ${name} has failed too long and is PAUSED; resume: npx byrobot-bridge deliveries resume ${name}`,
                ),
            })
          : null,
      });
    }
  }

  const inFlight = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const unconfiguredSaid = new Set<string>();
  const stats = { delivered: 0, retried: 0, deadLettered: 0, held: 0, unconfigured: 0 };
  let stopped = false;

  function track(work: Promise<void>) {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  function attempt(d: LocalDestination, event: BusEvent, n: number, replay: boolean) {
    track(
      (async () => {
        let outcome: DeliveryOutcome;
        try {
          outcome = await d.deliverer!.deliver(event, n, replay);
        } catch (error) {
          // The log could not be written: as SQS would, keep the message and try again later.
          err(`delivery ${d.destination.name}: ${(error as Error).message}; retrying in 5 s`);
          outcome = { action: 'retry', delaySeconds: 5 };
          n--;
        }
        const id = eventIdOf(event);
        switch (outcome.action) {
          case 'delivered':
            stats.delivered++;
            out(`delivered ${event['detail-type']} ${id} to ${d.destination.name} (attempt ${n})`);
            return;
          case 'retry': {
            stats.retried++;
            if (stopped) return;
            const timer = setTimeout(() => {
              timers.delete(timer);
              attempt(d, event, n + 1, replay);
            }, delayMs(outcome.delaySeconds));
            timers.add(timer);
            return;
          }
          case 'dead-letter':
            stats.deadLettered++;
            d.deadLetters.push(event);
            err(
              `delivery ${d.destination.name}: gave up on ${id} after ${n} attempts; it is in the dead-letter list`,
            );
            return;
          case 'hold':
            stats.held++;
            d.deadLetters.push(event);
            return;
        }
      })(),
    );
  }

  function enqueue(name: string, event: BusEvent, replay = false): void {
    const d = destinations.get(name);
    if (!d)
      throw new Error(`no destination ${name}; there are ${[...destinations.keys()].join(', ') || 'none'}`);
    if (!d.deliverer) throw new Error(`destination ${name} has no URL configured`);
    attempt(d, event, 1, replay);
  }

  return {
    stats,
    destinations: () => [...destinations.keys()],
    deadLetters: (name: string) => [...(destinations.get(name)?.deadLetters ?? [])],
    /** The bus's `onEvents`: matches at once, delivers in the background, never throws. */
    handle(events: StoredEvent[]) {
      for (const event of events)
        for (const d of destinations.values()) {
          if (!matchPattern(d.pattern, event)) continue;
          if (!d.deliverer) {
            stats.unconfigured++;
            if (!unconfiguredSaid.has(d.destination.name)) {
              unconfiguredSaid.add(d.destination.name);
              const names = LOCAL_DESTINATION_ENV[d.destination.kind];
              out(
                `delivery ${d.destination.name}: matched ${event['detail-type']} but has no URL; set ${names.url}${names.secret ? ` and ${names.secret}` : ''}, or give "${d.destination.secret}" in LOCAL_SECRETS_FILE (further matches are not printed)`,
              );
            }
            continue;
          }
          attempt(d, event as unknown as BusEvent, 1, false);
        }
    },
    /** One event to one destination again, with the same webhook-id (`deliveries replay`). */
    async replay(name: string, event: BusEvent) {
      enqueue(name, event, true);
    },
    /** Resumes a paused destination and redrives its dead letters, oldest first. */
    async resume(name: string): Promise<number> {
      const d = destinations.get(name);
      if (!d) throw new Error(`no destination ${name}`);
      await options.log.resume(name);
      const parked = d.deadLetters.splice(0);
      for (const event of parked) enqueue(name, event);
      return parked.length;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    /** Stops the retry timers (Ctrl-C); pending retries are named, not silently dropped. */
    stop() {
      stopped = true;
      if (timers.size > 0) err(`delivery: ${timers.size} retries were pending at stop`);
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
    describe(): string[] {
      return [...destinations.values()].map(
        (d) =>
          `${d.destination.name}: ${d.urlSource ?? `no URL (set ${LOCAL_DESTINATION_ENV[d.destination.kind].url})`}`,
      );
    },
  };
}

export interface LocalRunner {
  stats: { delivered: number; retried: number; deadLettered: number; held: number; unconfigured: number };
  deadLetters(name: string): BusEvent[];
  handle(events: StoredEvent[]): void;
  idle(): Promise<void>;
  stop(): void;
  describe(): string[];
}

export type LocalDeliveries = DeliveryControl & LocalRunner;
