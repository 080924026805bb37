import { type CommandDef, take } from '../command.ts';
import { formatCoded, formatTime, maskCustomer, writeList } from '../format.ts';
import { MASK_OPTION } from './calls.ts';

export const customersPendingCommand: CommandDef = {
  name: 'customers pending',
  summary: "A task's customers not dialled yet.",
  usage: 'customers pending <taskId> [--limit n] [--mask] [--json]',
  positionals: [{ name: 'taskId', description: 'the task (callJobId)' }],
  options: {
    limit: { type: 'string', value: '<n>', description: 'stop after n customers' },
    mask: MASK_OPTION,
  },
  examples: ['customers pending 1001 --limit 20'],
  async run(ctx, args) {
    const taskId = args.positionalId(0, 'taskId');
    const limit = args.int('limit', { min: 1 });
    const mask = args.flag('mask');
    const pending = await take(ctx.client.notDialedCustomers(taskId), limit);
    writeList(
      ctx,
      pending.map((customer) => maskCustomer(customer, mask)),
      [
        { header: 'CALL', align: 'right' },
        { header: 'NAME', maxWidth: 20 },
        { header: 'PHONE' },
        { header: 'STATUS' },
        { header: 'SCHEDULED' },
        { header: 'CALLER LINE' },
      ],
      (c) => [
        c.callInstanceId,
        c.customer.name,
        c.customer.phone,
        formatCoded(c.status),
        formatTime(c.startTime),
        c.callerPhone,
      ],
    );
    return 0;
  },
};
