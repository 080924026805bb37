import {
  ByrobotApiError,
  ByrobotClient,
  ByrobotTransportError,
  type CallerLine,
  type Company,
} from '../../shared/byrobot/index.ts';
import { type CommandDef, EXIT } from '../command.ts';
import { type CliConfig, CONFIG_VARIABLES, ConfigError, loadConfig } from '../config.ts';
import { writeJson } from '../format.ts';
import type { CliIo } from '../io.ts';

/**
 * `doctor`: is this machine ready to talk to byrobot? Each check names what to fix, in the order an
 * operator would fix them: configuration, then byrobot answering a signed request, then the clock
 * (byrobot refuses a request whose `datetime` is more than 3 minutes from its clock, code 408; see
 * shared notes "Authentication"), then what the app key can reach.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

export interface DoctorOptions {
  /** This machine's clock, in ms since the epoch (tests move it). @default Date.now */
  now?: () => number;
  /** Called as each check finishes, so a slow byrobot does not leave the terminal silent. */
  onCheck?: (check: DoctorCheck) => void;
  /** Per request. @default 5000 */
  timeoutMs?: number;
}

/** Skew over this is worth a warning: a clock drifting this far is on its way to byrobot's limit. */
export const CLOCK_WARN_SECONDS = 60;
/** byrobot's own limit: beyond it every request is refused with code 408. */
export const CLOCK_FAIL_SECONDS = 180;

interface ClockReading {
  /** byrobot's clock minus ours, in seconds. */
  skewSeconds: number;
}

const SYNC_CLOCK =
  'sync this machine’s clock with NTP (timedatectl set-ntp true, or your OS’s time settings)';

export async function runDoctor(env: Record<string, string | undefined>, options: DoctorOptions = {}) {
  const now = options.now ?? Date.now;
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck) => {
    checks.push(check);
    options.onCheck?.(check);
  };
  const skipRest = (names: string[], why: string) => {
    for (const name of names) add({ name, status: 'skip', message: why });
  };

  // 1. The three variables. The secret's value is never shown, only that it is set.
  let config: CliConfig;
  try {
    config = loadConfig(env);
    add({
      name: 'configuration',
      status: 'ok',
      message: `${CONFIG_VARIABLES.baseUrl}=${config.baseUrl}, ${CONFIG_VARIABLES.appKey}=${config.appKey}, ${CONFIG_VARIABLES.appSecret} set`,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    add({
      name: 'configuration',
      status: 'fail',
      message: error.message,
      fix: `export ${error.variables.join(', ')}`,
    });
    skipRest(['byrobot', 'clock', 'companies'], 'needs the configuration');
    return checks;
  }

  // 2. A signed request. The fetch wrapper reads byrobot's HTTP Date header on the way, so the
  // clock check costs no request of its own; the local time is taken on both sides of the request
  // and its midpoint compared, which bounds the error by half the round trip (plus the header's 1 s
  // resolution).
  let clock: ClockReading | null = null;
  const timedFetch: typeof fetch = async (input, init) => {
    const sent = now();
    const res = await fetch(input, init);
    const received = now();
    const date = Date.parse(res.headers.get('date') ?? '');
    // The header is truncated to the second: byrobot's time is on average half a second past it.
    if (clock === null && Number.isFinite(date))
      clock = { skewSeconds: (date + 500 - (sent + received) / 2) / 1000 };
    return res;
  };
  const client = new ByrobotClient({
    ...config,
    fetch: timedFetch,
    now: () => new Date(now()),
    timeoutMs: options.timeoutMs ?? 5_000,
    // One retry for a blip; a doctor that waits a minute on a dead host helps nobody.
    retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 500 },
    maxInFlight: 4,
  });

  let companies: Company[] | null = null;
  let refusedTime = false;
  const started = performance.now();
  try {
    companies = await client.getCompanys();
    add({
      name: 'byrobot',
      status: 'ok',
      message: `v1/company/getCompanys answered in ${Math.round(performance.now() - started)} ms (signed request accepted)`,
    });
  } catch (error) {
    refusedTime = error instanceof ByrobotApiError && error.code === 408;
    add({ name: 'byrobot', status: 'fail', ...explain(error, config) });
  }

  // 3. The clock, from byrobot's Date header.
  const reading = clock as ClockReading | null;
  if (reading === null) {
    if (refusedTime) add({ name: 'clock', status: 'fail', ...clockRefused(null) });
    else if (companies === null) add({ name: 'clock', status: 'skip', message: 'byrobot did not answer' });
    else
      add({
        name: 'clock',
        status: 'warn',
        message: 'byrobot’s answer had no Date header; the skew cannot be measured',
        fix: `make sure this machine’s clock is synced (NTP); byrobot refuses requests more than ${CLOCK_FAIL_SECONDS} s off`,
      });
  } else {
    const skew = reading.skewSeconds;
    const abs = Math.abs(skew);
    const said = `${describeSkew(skew)} (byrobot’s Date header)`;
    if (refusedTime) add({ name: 'clock', status: 'fail', ...clockRefused(skew) });
    else if (abs > CLOCK_FAIL_SECONDS)
      add({
        name: 'clock',
        status: 'fail',
        message: `${said}: beyond byrobot’s ${CLOCK_FAIL_SECONDS} s limit (code 408)`,
        fix: SYNC_CLOCK,
      });
    else if (abs > CLOCK_WARN_SECONDS)
      add({
        name: 'clock',
        status: 'warn',
        message: `${said}: byrobot refuses requests beyond ${CLOCK_FAIL_SECONDS} s (code 408)`,
        fix: SYNC_CLOCK,
      });
    else add({ name: 'clock', status: 'ok', message: said });
  }

  if (companies === null) {
    skipRest(['companies'], 'byrobot did not accept the request');
    return checks;
  }

  // 4. What the key reaches: companies, then each one's robots and caller lines.
  if (companies.length === 0) {
    add({
      name: 'companies',
      status: 'fail',
      message: 'the app key manages no company',
      fix: `ask byrobot to grant ${CONFIG_VARIABLES.appKey} access to your company`,
    });
    return checks;
  }
  add({
    name: 'companies',
    status: 'ok',
    message: `${companies.length}: ${companies.map((c) => `${c.companyId} ${c.companyName ?? '?'}`).join(', ')}`,
  });
  /** Adds the check `request` makes, or its failed request explained. */
  const check = async (name: string, request: () => Promise<Omit<DoctorCheck, 'name'>>) => {
    try {
      add({ name, ...(await request()) });
    } catch (error) {
      add({ name, status: 'fail', ...explain(error, config) });
    }
  };
  for (const company of companies) {
    const id = company.companyId;
    await check(`company ${id} robots`, async () => {
      const robots = await client.getRobots(id);
      return robots.length === 0
        ? {
            status: 'warn',
            message: 'no robots: tasks cannot be created',
            fix: 'set up a robot (话术) for this company in byrobot’s console',
          }
        : {
            status: 'ok',
            message: `${robots.length}: ${robots.map((r) => `${r.robotDefId} ${r.robotName ?? '?'}`).join(', ')}`,
          };
    });
    let lines: CallerLine[] = [];
    await check(`company ${id} caller lines`, async () => {
      lines = await client.getPhones(id);
      const available = lines.filter((l) => l.available === true).length;
      if (lines.length === 0)
        return {
          status: 'warn',
          message: 'no caller lines: tasks cannot dial',
          fix: 'add a caller line (主叫号码) for this company in byrobot’s console',
        };
      if (available === 0)
        return {
          status: 'warn',
          message: `${lines.length}, none available`,
          fix: 'check the lines’ status (arrears, suspension) in byrobot’s console',
        };
      return { status: 'ok', message: `${lines.length}, ${available} available` };
    });
    if (lines.length > 0) add(callTypeCheck(id, lines));
  }

  // 5. Which notDialedCustomerList form byrobot answers (the seed's GET or the fuller docs' POST):
  // it needs a task, so the newest task of the first company that has one is asked.
  add(await notDialedCheck(client, companies, config));
  return checks;
}

/**
 * createTask requires `callType`, the caller lines' type (task.md); the bridge derives it from the
 * lines, so a line without a type means every task on it needs an explicit callType.
 */
function callTypeCheck(companyId: number, lines: readonly CallerLine[]): DoctorCheck {
  const name = `company ${companyId} call types`;
  const untyped = lines.filter((l) => l.phoneType === null).map((l) => l.userPhoneId);
  const byType = new Map<string, number[]>();
  for (const l of lines) {
    if (!l.phoneType) continue;
    const key = `${l.phoneType.code} ${l.phoneType.label}`;
    byType.set(key, [...(byType.get(key) ?? []), l.userPhoneId]);
  }
  const said = [...byType].map(([type, ids]) => `callType ${type}: lines ${ids.join(', ')}`).join('; ');
  if (untyped.length > 0) {
    return {
      name,
      status: 'warn',
      message: `lines ${untyped.join(', ')} have no phoneType${said ? ` (${said})` : ''}`,
      fix: 'give callType (API body, --call-type) when creating a task on those lines',
    };
  }
  return { name, status: 'ok', message: `${said}; tasks mixing types need an explicit callType` };
}

async function notDialedCheck(
  client: ByrobotClient,
  companies: readonly Company[],
  config: CliConfig,
): Promise<DoctorCheck> {
  const name = 'notDialed form';
  try {
    for (const company of companies) {
      const [task] = (await client.getTasks({ companyId: company.companyId, pageSize: 1 })).items;
      if (!task) continue;
      const page = await client.notDialedCustomerList({ taskId: task.taskId, pageSize: 1 });
      const form =
        client.notDialedForm === 'GET'
          ? 'GET with query parameters (the seed’s form)'
          : 'POST with a JSON body (the fuller docs’ form; GET was refused)';
      return {
        name,
        status: 'ok',
        message: `${form} answered for task ${task.taskId}${page.total < 0 ? ', pages without totals' : ''}`,
      };
    }
    return { name, status: 'skip', message: 'no task to ask about; create one and run doctor again' };
  } catch (error) {
    return { name, status: 'warn', ...explain(error, config) };
  }
}

function describeSkew(skew: number): string {
  const rounded = Math.round(Math.abs(skew));
  if (rounded <= 1) return 'within 1 s of byrobot’s clock';
  return `this machine’s clock is ${rounded} s ${skew > 0 ? 'behind' : 'ahead of'} byrobot’s`;
}

function clockRefused(skew: number | null): { message: string; fix: string } {
  const measured = skew === null ? '' : `; ${describeSkew(skew)} by its Date header`;
  return {
    message: `byrobot refused the request time (code 408: more than ${CLOCK_FAIL_SECONDS} s from its clock)${measured}`,
    fix: SYNC_CLOCK,
  };
}

/** A failed request in words, with what to check; never the secret itself. Any other error is rethrown. */
function explain(error: unknown, config: CliConfig): { message: string; fix: string } {
  if (error instanceof ByrobotTransportError) {
    return {
      message: `no usable answer from ${config.baseUrl} (${error.kind}): ${error.message}`,
      fix:
        error.kind === 'network' || error.kind === 'timeout'
          ? `check ${CONFIG_VARIABLES.baseUrl} and the network (for the simulator: npm run sim)`
          : `check that ${CONFIG_VARIABLES.baseUrl} is byrobot’s open API (https://api.byrobot.cn), not a web page or proxy`,
    };
  }
  if (!(error instanceof ByrobotApiError)) throw error;
  const said = `byrobot answered code ${error.code}: ${error.resultMsg || '(no message)'}${error.requestId ? ` (request id ${error.requestId})` : ''}`;
  switch (error.code) {
    case 401:
      return {
        message: `${said}: it refused the request signature`,
        fix: `check ${CONFIG_VARIABLES.appSecret} (and that ${CONFIG_VARIABLES.appKey} is its AppKey)`,
      };
    case 403:
      return {
        message: `${said}: no permission`,
        fix: `the app key does not own this company; ask byrobot to grant ${CONFIG_VARIABLES.appKey} access`,
      };
    case 408:
      return { message: `${said}: it refused the request time`, fix: SYNC_CLOCK };
    default:
      return {
        message: said,
        fix: 'retry later; if it persists, send byrobot the request id (docs/runbook.md)',
      };
  }
}

/** `ok    byrobot               v1/company/getCompanys answered …. Fix: …` */
export function formatCheck(check: DoctorCheck): string {
  const fix = check.fix && (check.status === 'fail' || check.status === 'warn') ? `. Fix: ${check.fix}` : '';
  return `${check.status.padEnd(4)}  ${check.name.padEnd(22)}  ${check.message}${fix}`;
}

export async function doctor(io: CliIo, json: boolean, options: DoctorOptions = {}): Promise<number> {
  const checks = await runDoctor(io.env, {
    ...options,
    onCheck: json ? undefined : (check) => io.stdout.write(`${formatCheck(check)}\n`),
  });
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  if (json) writeJson(io.stdout, { ok: failed === 0, checks });
  else
    io.stderr.write(
      failed + warned === 0
        ? 'all checks passed\n'
        : `${failed} failed, ${warned} warning${warned === 1 ? '' : 's'}\n`,
    );
  return failed > 0 ? EXIT.failure : EXIT.ok;
}

export const doctorCommand: CommandDef = {
  name: 'doctor',
  summary: 'Check the configuration, byrobot, the clock and what the app key reaches.',
  usage: 'doctor [--json]',
  details:
    'Checks, in order: BYROBOT_BASE_URL, BYROBOT_APP_KEY and BYROBOT_APP_SECRET are set; byrobot\n' +
    'accepts a signed request (getCompanys); this clock against byrobot’s Date header (warn over\n' +
    `${CLOCK_WARN_SECONDS} s, fail over ${CLOCK_FAIL_SECONDS} s, where byrobot refuses requests with code 408); the companies\n` +
    'the key manages; each company’s robots and caller lines (none is a warning) and the call\n' +
    'types of its lines (createTask requires callType; a line without a type is a warning); which\n' +
    'notDialedCustomerList form byrobot answers (GET or POST), asked about the newest task. One line\n' +
    'per check: ok, warn, fail or skip, with what to fix. Exit 1 when any check fails.\n' +
    'docs/real-account.md explains each check against a real account.',
  options: {},
  examples: ['doctor', 'doctor --json'],
  run: (ctx) => doctor(ctx.io, ctx.json),
};
