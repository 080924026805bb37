import type { NotDialedCustomer } from '../../shared/byrobot/index.ts';
import type { CommandDef } from '../command.ts';
import { formatCoded, formatTime, maskPhone, withoutRaw, writeJson } from '../format.ts';
import { renderTable } from '../table.ts';
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
    const { io, json } = ctx;
    const taskId = args.positionalId(0, 'taskId');
    const limit = args.int('limit', { min: 1 });
    const mask = args.flag('mask');
    const pending: NotDialedCustomer[] = [];
    for await (const customer of ctx.client.notDialedCustomers(taskId)) {
      pending.push(
        mask
          ? { ...customer, customer: { ...customer.customer, phone: maskPhone(customer.customer.phone) } }
          : customer,
      );
      if (limit !== undefined && pending.length >= limit) break;
    }
    if (json) {
      writeJson(io.stdout, pending.map(withoutRaw));
      return 0;
    }
    io.stdout.write(
      renderTable(
        [
          { header: 'CALL', align: 'right' },
          { header: 'NAME', maxWidth: 20 },
          { header: 'PHONE' },
          { header: 'STATUS' },
          { header: 'SCHEDULED' },
          { header: 'CALLER LINE' },
        ],
        pending.map((c) => [
          c.callInstanceId,
          c.customer.name,
          c.customer.phone,
          formatCoded(c.status),
          formatTime(c.startTime),
          c.callerPhone,
        ]),
      ),
    );
    return 0;
  },
};
