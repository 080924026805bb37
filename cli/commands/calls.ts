import { type DoneCallFilters, FINISH_STATUS, type IntentLevel } from '../../shared/byrobot/index.ts';
import { type CommandDef, type OptionDef, parseCode, take, UsageError } from '../command.ts';
import {
  formatCoded,
  formatCodedWithCode,
  formatDuration,
  formatOffset,
  formatTime,
  heading,
  maskCustomer,
  withoutRaw,
  writeJson,
  writeList,
} from '../format.ts';
import { renderFields, renderTable } from '../table.ts';

export const MASK_OPTION: OptionDef = {
  type: 'boolean',
  description: 'mask customer phone numbers (138****5678) in text and JSON, for screenshots and logs',
};

/** `A,B` or `ab` → the intent letters. */
export function parseIntentLevels(text: string): Set<IntentLevel> {
  const letters = text.toUpperCase().replace(/[\s,，]+/g, '');
  if (letters === '' || !/^[A-F]+$/.test(letters)) {
    throw new UsageError(`--intent takes intent letters A-F such as A,B; got ${JSON.stringify(text)}`);
  }
  return new Set(letters.split('') as IntentLevel[]);
}

export const callsListCommand: CommandDef = {
  name: 'calls list',
  summary: "A task's finished calls, newest first.",
  usage:
    'calls list <taskId> [--finish-status <code>] [--intent A,B] [--min-duration s] [--max-duration s] [--limit n] [--mask]',
  details:
    '--finish-status and the duration range are sent to byrobot, which filters on its side.\n' +
    "--intent is applied here, on the letter of each call's 客户意向等级 result: byrobot can only\n" +
    'filter on the full result text (A级(较强), A级(有明确意向), …), which differs between scripts.\n' +
    'Calls without an intent level are left out when --intent is given.',
  positionals: [{ name: 'taskId', description: 'the task (callJobId)' }],
  options: {
    'finish-status': {
      type: 'string',
      value: '<code>',
      description: 'only calls that ended this way: a code (0) or label (answered, busy, …)',
    },
    intent: { type: 'string', value: '<A,B>', description: 'only calls with these intent levels (A-F)' },
    'min-duration': {
      type: 'string',
      value: '<s>',
      description: 'only calls at least this many seconds long',
    },
    'max-duration': {
      type: 'string',
      value: '<s>',
      description: 'only calls at most this many seconds long',
    },
    limit: { type: 'string', value: '<n>', description: 'stop after n calls' },
    mask: MASK_OPTION,
  },
  examples: ['calls list 1001', 'calls list 1001 --finish-status answered --intent A,B --min-duration 30'],
  async run(ctx, args) {
    const taskId = args.positionalId(0, 'taskId');
    const finishText = args.string('finish-status');
    const intentText = args.string('intent');
    const intents = intentText === undefined ? null : parseIntentLevels(intentText);
    const minDuration = args.int('min-duration', { min: 0 });
    const maxDuration = args.int('max-duration', { min: 0 });
    if (minDuration !== undefined && maxDuration !== undefined && minDuration > maxDuration) {
      throw new UsageError('--min-duration must not be above --max-duration');
    }
    const limit = args.int('limit', { min: 1 });
    const mask = args.flag('mask');
    const filters: DoneCallFilters = {
      ...(finishText !== undefined && {
        finishStatus: parseCode(finishText, FINISH_STATUS, '--finish-status must be a code'),
      }),
      ...(minDuration !== undefined && { durationLeft: minDuration }),
      ...(maxDuration !== undefined && { durationRight: maxDuration }),
    };
    const calls = await take(
      ctx.client.doneCalls({ taskId, ...filters }),
      limit,
      (call) => !intents || (call.intentLevel !== null && intents.has(call.intentLevel)),
    );
    writeList(
      ctx,
      calls.map((call) => maskCustomer(call, mask)),
      [
        { header: 'CALL', align: 'right' },
        { header: 'CUSTOMER', maxWidth: 20 },
        { header: 'PHONE' },
        { header: 'RESULT' },
        { header: 'DURATION', align: 'right' },
        { header: 'ROUNDS', align: 'right' },
        { header: 'INTENT' },
        { header: 'STARTED' },
        { header: 'REDIALS', align: 'right' },
      ],
      (c) => [
        c.callInstanceId,
        c.customer.name,
        c.customer.phone,
        formatCoded(c.finishStatus),
        formatDuration(c.durationSeconds),
        c.chatRounds,
        c.intentLevel,
        formatTime(c.startTime),
        c.redial.times,
      ],
    );
    return 0;
  },
};

function propertyText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const callsShowCommand: CommandDef = {
  name: 'calls show',
  summary: 'One call: its fields, import properties, analysis results and the transcript.',
  usage: 'calls show <callInstanceId> [--mask] [--json]',
  details:
    'Transcript lines carry their offset into the recording as [mm:ss.t]; `AI` is the robot,\n' +
    "`客户` the customer (byrobot's speaker ME).",
  positionals: [{ name: 'callInstanceId', description: 'the call (from `calls list`)' }],
  options: { mask: MASK_OPTION },
  examples: ['calls show 100012'],
  async run(ctx, args) {
    const { io, json } = ctx;
    const callId = args.positionalId(0, 'callInstanceId');
    const call = maskCustomer(await ctx.client.phoneLogInfo(callId), args.flag('mask'));
    if (json) {
      writeJson(io.stdout, withoutRaw(call));
      return 0;
    }
    const redial =
      call.redial.times > 0 || call.redial.nextAt
        ? `${call.redial.times}${call.redial.nextAt ? `, next ${formatTime(call.redial.nextAt)}` : ''}`
        : '0';
    const out: string[] = [
      `Call ${call.callInstanceId}  ${call.customer.name ?? '?'}  ${call.customer.phone ?? '?'}\n`,
      renderFields([
        ['task', call.taskName ? `${call.taskName} (${call.taskId ?? '?'})` : call.taskId],
        ['status', formatCoded(call.status)],
        ['result', formatCodedWithCode(call.finishStatus)],
        ['intent', call.intentLevel],
        ['duration', formatDuration(call.durationSeconds)],
        ['rounds', call.chatRounds],
        ['started', formatTime(call.startTime)],
        ['ended', formatTime(call.endTime)],
        ['caller line', call.callerPhone],
        ['hung up by', formatCoded(call.hangUp)],
        ['redials', redial],
        ['recording', call.recording.url],
        ['customer audio', call.recording.customerUrl],
      ]),
    ];
    const properties = Object.entries(call.properties);
    if (properties.length > 0) {
      out.push(heading('Properties'), renderFields(properties.map(([k, v]) => [k, propertyText(v)])));
    }
    if (call.analysis.length > 0) {
      // byrobot explains some results (resultDesc); a column of dashes when none is explained is noise.
      const explained = call.analysis.some((a) => a.description);
      out.push(
        heading('Analysis'),
        renderTable(
          [{ header: 'RESULT' }, { header: 'VALUE' }, ...(explained ? [{ header: 'WHY' }] : [])],
          call.analysis.map((a) => [a.name, a.value, a.description]),
        ),
      );
    }
    out.push(heading('Transcript'));
    if (call.transcript.length === 0) out.push('(no transcript)\n');
    for (const turn of call.transcript) {
      const who = turn.role === 'ai' ? 'AI' : turn.role === 'customer' ? '客户' : turn.speaker || '?';
      const note = turn.aiUnknown ? '  (robot had no answer)' : '';
      out.push(
        `[${formatOffset(turn.startMs)}] ${who}: ${turn.content.replace(/\s*[\r\n]+\s*/g, ' ')}${note}\n`,
      );
    }
    io.stdout.write(out.join(''));
    return 0;
  },
};
