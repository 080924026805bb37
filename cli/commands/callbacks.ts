import { CliError, type CommandDef, EXIT, UsageError } from '../command.ts';
import { writeJson } from '../format.ts';
import { LOCAL_TABLE_NAME } from './poll.ts';

/**
 * `callbacks rejected`: the push callbacks the bridge could not understand and kept for inspection
 * (CBBAD#<UTC day>, shared/callbacks/rejected.ts). Reads the table directly: DYNAMODB_ENDPOINT for
 * a local stack (`npm start` prints its dynalite endpoint), else AWS DynamoDB with the usual
 * credentials; TABLE_NAME (default the local table; a stage's is its `TableName` output).
 */
export const callbacksRejectedCommand: CommandDef = {
  name: 'callbacks rejected',
  summary: 'List the push callbacks that were kept as unprocessable, one UTC day at a time.',
  usage: 'callbacks rejected [--day YYYY-MM-DD] [--limit n] [--body]',
  details:
    'Each line: when it came, the reason, its dataType and id if readable, its content type and size.\n' +
    '--body prints the kept body under each line (as byrobot sent it, up to 390 KB; it may hold\n' +
    'personal data). Table: TABLE_NAME (default ' +
    LOCAL_TABLE_NAME +
    ') on DYNAMODB_ENDPOINT, or on AWS DynamoDB\n' +
    'when DYNAMODB_ENDPOINT is unset (AWS_REGION and credentials as the AWS CLI takes them).',
  options: {
    day: { type: 'string', value: '<YYYY-MM-DD>', description: 'the UTC day (default today)' },
    limit: { type: 'string', value: '<n>', description: 'at most n (default 100)' },
    body: { type: 'boolean', description: 'print each kept body too' },
  },
  examples: [
    'DYNAMODB_ENDPOINT=http://127.0.0.1:8000 callbacks rejected',
    'TABLE_NAME=ByrobotBridge-prod-Table… AWS_REGION=ap-east-1 callbacks rejected --day 2026-12-01 --json',
  ],
  async run(ctx, args) {
    const { io, json } = ctx;
    const day = args.string('day') ?? new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new UsageError('--day is a UTC date, YYYY-MM-DD');
    const limitText = args.string('limit') ?? '100';
    if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1)
      throw new UsageError('--limit is a whole number from 1 to 9999');
    const endpoint = io.env.DYNAMODB_ENDPOINT?.trim() || undefined;
    const tableName = io.env.TABLE_NAME?.trim() || LOCAL_TABLE_NAME;
    // Loaded here: only this command needs the DynamoDB client.
    const [{ createDocumentClient }, { RejectedCallbacks }] = await Promise.all([
      import('../../shared/store/dynamo.ts'),
      import('../../shared/callbacks/rejected.ts'),
    ]);
    let kept: Awaited<ReturnType<InstanceType<typeof RejectedCallbacks>['list']>>;
    try {
      kept = await new RejectedCallbacks(createDocumentClient({ endpoint }), tableName).list(
        day,
        Number(limitText),
      );
    } catch (error) {
      throw new CliError(
        `cannot read table ${tableName}${endpoint ? ` at ${endpoint}` : ''}: ${(error as Error).message}`,
      );
    }
    if (json) {
      writeJson(io.stdout, kept);
      return EXIT.ok;
    }
    if (kept.length === 0) io.stdout.write(`no unprocessable callbacks on ${day} (UTC)\n`);
    for (const r of kept) {
      const id = [r.dataType, r.callbackId].filter(Boolean).join(' ');
      io.stdout.write(
        `${r.receivedAt}  ${r.reason}${id ? `  (${id})` : ''}  ${r.contentType ?? 'no content type'}  ${r.bodyBytes} bytes${r.bodyTruncated ? ' (kept cut)' : ''}\n`,
      );
      if (args.flag('body')) io.stdout.write(`${r.body}\n`);
    }
    return EXIT.ok;
  },
};
