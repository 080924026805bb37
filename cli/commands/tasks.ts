import { callTypeForLines, workingHoursWarnings } from '../../shared/byrobot/create-task.ts';
import {
  type ByrobotClient,
  type CreateTaskInput,
  type NameValue,
  TASK_STATUS,
  type Task,
} from '../../shared/byrobot/index.ts';
import { clockMinutes } from '../../shared/time.ts';
import { CliError, type CommandDef, parseCode, parseWhole, take, UsageError } from '../command.ts';
import {
  formatCoded,
  formatCodedWithCode,
  formatRatio,
  heading,
  withoutRaw,
  writeAnswer,
  writeJson,
  writeList,
} from '../format.ts';
import { type Cell, renderFields, renderTable } from '../table.ts';
import { COMPANY_OPTION } from './companies.ts';

/** Finish statuses byrobot accepts in a redial rule (task.md, 开启重拨需要的枚举). */
const REDIAL_STATUSES: ReadonlySet<number> = new Set([2, 3, 5, 6, 7, 9, 10]);
/** The transient failures worth another try when `--redial-on` is not given: unreachable, powered off, busy. */
const DEFAULT_REDIAL_ON = [2, 5, 6];

function taskHours(task: Task): string | null {
  if (!task.workingStartTime && !task.workingEndTime) return null;
  const hhmm = (t: string | null) => (t ? t.slice(0, 5) : '?');
  return `${hhmm(task.workingStartTime)}-${hhmm(task.workingEndTime)}`;
}

export const tasksListCommand: CommandDef = {
  name: 'tasks list',
  summary: "List a company's calling tasks, newest first.",
  usage: 'tasks list --company <id> [--status <code>] [--name <text>] [--created <date>] [--all] [--limit n]',
  details:
    "Walks every page of byrobot's task list (100 a page) unless --limit stops it earlier.\n" +
    '--status, --name and --created are filters byrobot applies. DONE/TOTAL and CALLED are\n' +
    "byrobot's counts; its list often leaves them out (shown as ?): `tasks show` has them.",
  options: {
    company: COMPANY_OPTION,
    status: {
      type: 'string',
      value: '<code>',
      description: 'only tasks in this status: a code (1) or label (running, paused-by-user, …)',
    },
    name: { type: 'string', value: '<text>', description: 'only tasks whose name matches (byrobot’s match)' },
    created: { type: 'string', value: '<yyyy-MM-dd>', description: 'only tasks created on this day' },
    all: { type: 'boolean', description: 'include deleted tasks (byrobot’s needAll)' },
    limit: { type: 'string', value: '<n>', description: 'stop after n tasks' },
  },
  examples: ['tasks list --company 1', 'tasks list --company 1 --status running --limit 20'],
  async run(ctx, args) {
    const companyId = args.id('company');
    const statusText = args.string('status');
    const status =
      statusText === undefined
        ? undefined
        : parseCode(statusText, TASK_STATUS, '--status must be a status code');
    const created = args.string('created');
    if (created !== undefined) checkDate(created, '--created');
    const limit = args.int('limit', { min: 1 });
    const tasks = await take(
      ctx.client.tasks({
        companyId,
        status,
        taskName: args.string('name'),
        createDate: created,
        needAll: args.flag('all') || undefined,
      }),
      limit,
    );
    writeList(
      ctx,
      tasks,
      [
        { header: 'ID', align: 'right' },
        { header: 'NAME', maxWidth: 32 },
        { header: 'STATUS' },
        { header: 'TYPE' },
        { header: 'DONE/TOTAL', align: 'right' },
        { header: 'CALLED', align: 'right' },
        { header: 'START' },
        { header: 'HOURS' },
      ],
      (t) => [
        t.taskId,
        t.name,
        formatCoded(t.status),
        formatCoded(t.type),
        formatRatio(t.counts.done, t.counts.total),
        t.counts.called ?? '?',
        t.startDate,
        taskHours(t),
      ],
    );
    return 0;
  },
};

function histogram(values: readonly NameValue[]): string {
  const numbers = values.map((v) => (typeof v.value === 'number' ? v.value : Number(v.value)));
  const max = Math.max(0, ...numbers.filter(Number.isFinite));
  const rows: Cell[][] = values.map((v, i) => {
    const n = numbers[i]!;
    const bar = Number.isFinite(n) && max > 0 ? '#'.repeat(Math.round((n / max) * 30)) : '';
    return [v.name, v.value, bar];
  });
  return renderTable([{ header: 'BUCKET' }, { header: 'COUNT', align: 'right' }, { header: '' }], rows);
}

export const tasksShowCommand: CommandDef = {
  name: 'tasks show',
  summary: "A task's settings, counts, histograms and result statistics (getTaskDetail).",
  usage: 'tasks show <taskId> --company <id> [--json]',
  positionals: [{ name: 'taskId', description: 'the task (callJobId)' }],
  options: { company: COMPANY_OPTION },
  examples: ['tasks show 1001 --company 1'],
  async run(ctx, args) {
    const { io, json } = ctx;
    const taskId = args.positionalId(0, 'taskId');
    const companyId = args.id('company');
    const task = await ctx.client.getTaskDetail({ companyId, taskId });
    if (json) {
      writeJson(io.stdout, withoutRaw(task));
      return 0;
    }
    const out: string[] = [];
    const lines = task.callerLines.map(
      (l) => `${l.phone ?? '?'}${l.phoneName ? ` ${l.phoneName}` : ''} (${l.userPhoneId ?? '?'})`,
    );
    out.push(
      `Task ${task.taskId}  ${task.name}\n`,
      renderFields([
        ['status', formatCodedWithCode(task.status)],
        ['type', formatCoded(task.type)],
        ['start date', task.startDate],
        ['hours', taskHours(task)],
        [
          'break',
          task.breakStartTime || task.breakEndTime
            ? `${task.breakStartTime ?? '?'}-${task.breakEndTime ?? '?'}`
            : null,
        ],
        ['robot', task.robotName],
        ['scene', task.sceneName ? `${task.sceneName} (${task.sceneDefId ?? '?'})` : task.sceneDefId],
        ['recording', task.sceneRecordName],
        ['caller lines', lines.length > 0 ? lines.join(', ') : null],
        ['remark', task.remark],
      ]),
      heading('Counts'),
      renderFields([
        ['total', task.counts.total],
        ['done', task.counts.done],
        ['called (answered)', task.counts.called],
        ['rejected', task.counts.rejected],
        ['unreachable', task.counts.unavailable],
        ['caller line unavailable', task.counts.fromUnavailable],
      ]),
    );
    if (task.durationStat.length > 0) out.push(heading('Call duration'), histogram(task.durationStat));
    if (task.chatRoundStat.length > 0) out.push(heading('Chat rounds'), histogram(task.chatRoundStat));
    if (task.resultDefs.length > 0) {
      out.push(
        heading('Result definitions'),
        renderFields(task.resultDefs.map((d) => [d.name, d.values.join(', ')])),
      );
    }
    for (const [name, values] of Object.entries(task.extraStat)) {
      out.push(heading(`Results: ${name}`), histogram(values));
    }
    io.stdout.write(out.join(''));
    return 0;
  },
};

/** `yyyy-MM-dd` that is a real calendar day. */
export function checkDate(text: string, what: string): void {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.toISOString().slice(0, 10) !== text) {
    throw new UsageError(`${what} must be a date as yyyy-MM-dd, got ${JSON.stringify(text)}`);
  }
}

/**
 * `09:00-20:00` → the two clock times. Any valid times with the start first: byrobot's own examples
 * use 08:00-22:00; hours outside its documented window are warned about by `tasks create`.
 */
export function parseHours(text: string): { start: string; end: string } {
  const m = /^\s*(\d{1,2}:\d{2})\s*[-~–]\s*(\d{1,2}:\d{2})\s*$/.exec(text);
  const pad = (t: string) => t.padStart(5, '0');
  const start = m ? pad(m[1]!) : '';
  const end = m ? pad(m[2]!) : '';
  const from = clockMinutes(start);
  const to = clockMinutes(end);
  if (from === null || to === null) {
    throw new UsageError(`--hours must be HH:mm-HH:mm such as 09:00-20:00, got ${JSON.stringify(text)}`);
  }
  if (from >= to) throw new UsageError(`--hours must end after it starts, got ${start}-${end}`);
  return { start, end };
}

/** `1,2, 3` → [1, 2, 3]: positive whole numbers, duplicates dropped. */
export function parseIdList(text: string, what: string): number[] {
  const parts = text
    .split(/[,，\s]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError(`${what} needs at least one id`);
  return [...new Set(parts.map((p) => parseWhole(p, what, { min: 1 })))];
}

async function resolveScene(
  client: ByrobotClient,
  companyId: number,
  robotDefId: number,
  scene: number | undefined,
  record: number | undefined,
): Promise<{ sceneDefId: number; sceneRecordId: number }> {
  if (scene !== undefined && record !== undefined) return { sceneDefId: scene, sceneRecordId: record };
  const robots = await client.getRobots(companyId);
  const robot = robots.find((r) => r.robotDefId === robotDefId);
  if (!robot) {
    throw new CliError(
      `robot ${robotDefId} is not one of company ${companyId}'s robots (see \`robots --company ${companyId}\`)`,
    );
  }
  const sceneDefId = scene ?? robot.sceneDefId;
  if (sceneDefId === null) throw new CliError(`robot ${robotDefId} has no scene; pass --scene`);
  const sceneRecordId = record ?? robot.sceneRecords.find((r) => r.sceneRecordId !== null)?.sceneRecordId;
  if (sceneRecordId === undefined || sceneRecordId === null) {
    throw new CliError(`robot ${robotDefId} has no recording; pass --record`);
  }
  return { sceneDefId, sceneRecordId };
}

/**
 * Checks the chosen caller lines exist in the company and picks byrobot's `callType` (required by
 * task.md) with the same rule the HTTP API's path uses (`callTypeForLines`); `--call-type` wins.
 */
async function checkCallerLines(
  client: ByrobotClient,
  companyId: number,
  ids: number[],
  given: number | undefined,
): Promise<{ callType: number; unavailable: number[] }> {
  const lines = await client.getPhones(companyId);
  for (const id of ids) {
    if (!lines.some((l) => l.userPhoneId === id)) {
      throw new CliError(
        `caller line ${id} is not one of company ${companyId}'s lines (see \`phones --company ${companyId}\`)`,
      );
    }
  }
  const unavailable = ids.filter((id) => lines.find((l) => l.userPhoneId === id)?.available === false);
  if (given !== undefined) return { callType: given, unavailable };
  const derived = callTypeForLines(lines, ids);
  if ('problem' in derived) throw new CliError(`${derived.problem} (--call-type 0|1|2|6)`);
  return { callType: derived.callType, unavailable };
}

export const tasksCreateCommand: CommandDef = {
  name: 'tasks create',
  summary: 'Create a calling task and print its id.',
  usage:
    'tasks create --company <id> --name <name> --robot <robotDefId> --phones <id,id> [--scene <id>] [--record <id>]\n' +
    '       [--type manual|scheduled] [--start-date yyyy-MM-dd] [--hours 09:00-20:00] [--concurrency n]\n' +
    '       [--remark text] [--redial [--redial-on 2,5,6] [--redial-times n] [--redial-interval min]]\n' +
    '       [--call-type 0|1|2|6] [--dry-run]',
  details:
    "Without --scene / --record the robot's scene and first recording are used (see `robots`).\n" +
    'Checked before anything is sent: HH:mm hours with the start first, dates as yyyy-MM-dd, a\n' +
    'start date for scheduled tasks, caller lines that belong to the company. Hours outside\n' +
    "byrobot's documented calling window 09:00-20:00 are sent as asked, with a warning.\n" +
    "The call type byrobot requires is taken from the caller lines' type unless --call-type.\n" +
    "--dry-run checks all of it against byrobot's lists and prints the request, creating nothing.\n" +
    'Prints only the new task id on stdout, so `id=$(byrobot-bridge tasks create …)` works.',
  options: {
    company: COMPANY_OPTION,
    name: { type: 'string', value: '<name>', description: 'task name' },
    robot: { type: 'string', value: '<robotDefId>', description: 'the robot to call with (see `robots`)' },
    phones: {
      type: 'string',
      value: '<id,id>',
      description: 'caller line ids, comma-separated (see `phones`)',
    },
    scene: { type: 'string', value: '<sceneDefId>', description: "scene (script); default: the robot's" },
    record: {
      type: 'string',
      value: '<sceneRecordId>',
      description: "recording (voice); default: the robot's first",
    },
    type: {
      type: 'string',
      value: '<manual|scheduled>',
      description: 'default manual (start with `tasks start`)',
    },
    'start-date': {
      type: 'string',
      value: '<yyyy-MM-dd>',
      description: 'first calling day; required for scheduled tasks',
    },
    hours: {
      type: 'string',
      value: '<HH:mm-HH:mm>',
      description: "working hours, e.g. 08:00-22:00; default byrobot's",
    },
    'call-type': {
      type: 'string',
      value: '<0|1|2|6>',
      description: "caller line type (0 mobile, 1 landline, 2 none, 6 SIP); default: the lines' type",
    },
    'dry-run': { type: 'boolean', description: 'check everything and print the request; create nothing' },
    concurrency: { type: 'string', value: '<n>', description: 'AI seats (concurrent calls); default 1' },
    remark: { type: 'string', value: '<text>', description: 'a note on the task' },
    redial: { type: 'boolean', description: 'redial customers whose call failed transiently' },
    'redial-on': {
      type: 'string',
      value: '<codes>',
      description: 'finish statuses to redial (of 2,3,5,6,7,9,10); default 2,5,6',
    },
    'redial-times': { type: 'string', value: '<n>', description: 'redials per customer, 1-5; default 1' },
    'redial-interval': {
      type: 'string',
      value: '<min>',
      description: 'minutes between redials, 0-120; default 30',
    },
  },
  examples: [
    'tasks create --company 1 --name "11月回访" --robot 102 --phones 11,12',
    'tasks create --company 1 --name 回访 --robot 101 --phones 13 --type scheduled --start-date 2026-12-01 --hours 09:30-18:00 --redial',
  ],
  async run(ctx, args) {
    const { io, json } = ctx;
    // Everything checkable locally is checked before the first request.
    const companyId = args.id('company');
    const taskName = args.requiredString('name').trim();
    // byrobot's limit on task names (its console refuses longer ones too).
    if ([...taskName].length > 50) throw new UsageError('--name must be at most 50 characters');
    const robotDefId = args.id('robot');
    const userPhoneIds = parseIdList(args.requiredString('phones'), '--phones');
    const scene = args.int('scene', { min: 1 });
    const record = args.int('record', { min: 1 });
    const typeText = (args.string('type') ?? 'manual').trim().toLowerCase();
    const taskType = { manual: 2, '2': 2, scheduled: 1, '1': 1 }[typeText];
    if (taskType === undefined) {
      throw new UsageError(`--type must be manual or scheduled, got ${JSON.stringify(args.string('type'))}`);
    }
    const startDate = args.string('start-date');
    if (startDate !== undefined) checkDate(startDate, '--start-date');
    if (taskType === 1 && startDate === undefined) {
      throw new UsageError('a scheduled task needs --start-date yyyy-MM-dd');
    }
    const hoursText = args.string('hours');
    const hours = hoursText === undefined ? undefined : parseHours(hoursText);
    const concurrency = args.int('concurrency', { min: 1 });
    const callTypeText = args.string('call-type');
    const callTypeGiven = callTypeText === undefined ? undefined : Number(callTypeText.trim());
    if (callTypeGiven !== undefined && ![0, 1, 2, 6].includes(callTypeGiven)) {
      throw new UsageError(`--call-type must be 0, 1, 2 or 6, got ${JSON.stringify(callTypeText)}`);
    }
    const dryRun = args.flag('dry-run');
    const redialOnText = args.string('redial-on');
    const redialTimes = args.int('redial-times', { min: 1, max: 5 });
    const redialInterval = args.int('redial-interval', { min: 0, max: 120 });
    // Any redial detail implies --redial: asking for a rule and getting none would be a surprise.
    const redial =
      args.flag('redial') ||
      redialOnText !== undefined ||
      redialTimes !== undefined ||
      redialInterval !== undefined;
    const redialOn =
      redialOnText === undefined ? DEFAULT_REDIAL_ON : parseIdList(redialOnText, '--redial-on');
    for (const code of redialOn) {
      if (!REDIAL_STATUSES.has(code)) {
        throw new UsageError(
          `--redial-on: byrobot redials only finish statuses ${[...REDIAL_STATUSES].join(',')}`,
        );
      }
    }

    const { sceneDefId, sceneRecordId } = await resolveScene(
      ctx.client,
      companyId,
      robotDefId,
      scene,
      record,
    );
    const lines = await checkCallerLines(ctx.client, companyId, userPhoneIds, callTypeGiven);
    if (lines.unavailable.length > 0) {
      io.stderr.write(
        `warning: caller line${lines.unavailable.length > 1 ? 's' : ''} ${lines.unavailable.join(', ')} marked unavailable by byrobot (see \`phones --company ${companyId}\`)\n`,
      );
    }
    const input: CreateTaskInput = {
      companyId,
      taskName,
      taskType,
      ...(startDate !== undefined && { startDate }),
      ...(hours && { workingStartTime: hours.start, workingEndTime: hours.end }),
      userPhoneIds,
      robotDefId,
      sceneDefId,
      sceneRecordId,
      callType: lines.callType,
      ...(concurrency !== undefined && { concurrencyQuota: concurrency }),
      ...(args.string('remark') !== undefined && { remark: args.string('remark') }),
      ...(redial && {
        repeatCall: true,
        repeatCallRule: redialOn.map((phoneStatus) => ({
          phoneStatus,
          times: redialTimes ?? 1,
          interval: redialInterval ?? 30,
        })),
      }),
    };
    const warnings = workingHoursWarnings(input);
    for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
    if (dryRun) {
      // byrobot offers no test mode for createTask: everything it lists was checked, nothing is sent.
      if (json) writeJson(io.stdout, { dryRun: true, request: input, warnings });
      else {
        io.stdout.write(`${JSON.stringify(input, null, 2)}\n`);
        io.stderr.write("dry run: checked against byrobot's robots and caller lines; no task created\n");
      }
      return 0;
    }
    const taskId = await ctx.client.createTask(input);
    if (json) {
      writeJson(io.stdout, { taskId, request: input, warnings });
      return 0;
    }
    io.stdout.write(`${taskId}\n`);
    io.stderr.write(
      `created task ${taskId} ${JSON.stringify(taskName)} (robot ${robotDefId}, scene ${sceneDefId}, recording ${sceneRecordId}); start it with \`tasks start ${taskId}\`\n`,
    );
    return 0;
  },
};

function actionCommand(
  action: 'start' | 'pause' | 'stop' | 'delete',
  summary: string,
  more: { details?: string; accepted?: string } = {},
): CommandDef {
  return {
    name: `tasks ${action}`,
    summary,
    usage: `tasks ${action} <taskId> [--json]`,
    ...(more.details !== undefined && { details: more.details }),
    positionals: [{ name: 'taskId', description: 'the task (callJobId)' }],
    options: {},
    examples: [`tasks ${action} 1001`],
    async run(ctx, args) {
      const taskId = args.positionalId(0, 'taskId');
      const message = await ctx.client[action](taskId);
      const accepted = more.accepted ?? `${action} accepted`;
      writeAnswer(ctx, { taskId, action, message }, `task ${taskId}: ${message || accepted}\n`);
      return 0;
    },
  };
}

export const tasksDeleteCommand = actionCommand(
  'delete',
  'Delete a task: byrobot frees its lines and seats and no longer lists it.',
  {
    details:
      "byrobot's task/delete (task.md). The task drops out of `tasks list` (`--all` still shows it);\n" +
      'the poller announces it once as a status change to -1 deleted and stops following it.',
    accepted: 'deleted',
  },
);
export const tasksStartCommand = actionCommand('start', 'Start (or resume) a task: byrobot begins dialling.');
export const tasksPauseCommand = actionCommand(
  'pause',
  'Pause a task, freeing its caller lines and AI seats; `tasks start` resumes it.',
);
export const tasksStopCommand = actionCommand('stop', 'Stop (terminate) a task for good.');
