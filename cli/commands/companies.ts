import type { CommandDef, OptionDef } from '../command.ts';
import { formatBool, formatCoded, withoutRaw, writeAnswer, writeList } from '../format.ts';
import { type Cell, renderTable } from '../table.ts';

export const COMPANY_OPTION: OptionDef = {
  type: 'string',
  value: '<id>',
  description: 'byrobot company id (see `companies`)',
};

export const companiesCommand: CommandDef = {
  name: 'companies',
  summary: 'List the companies this app key manages.',
  usage: 'companies [--json]',
  options: {},
  examples: [`companies`, `companies --json`],
  async run(ctx) {
    writeList(
      ctx,
      await ctx.client.getCompanys(),
      [{ header: 'ID', align: 'right' }, { header: 'NAME' }],
      (c) => [c.companyId, c.companyName],
    );
    return 0;
  },
};

export const robotsCommand: CommandDef = {
  name: 'robots',
  summary: "List a company's robots with their scene (script) and recordings.",
  usage: 'robots --company <id> [--json]',
  details:
    'One line per recording; `tasks create --robot <id>` takes the scene and the first recording\n' +
    'from here unless --scene / --record say otherwise.',
  options: { company: COMPANY_OPTION },
  examples: ['robots --company 1'],
  async run(ctx, args) {
    const companyId = args.id('company');
    const robots = await ctx.client.getRobots(companyId);
    const rows: Cell[][] = [];
    for (const robot of robots) {
      const head = [robot.robotDefId, robot.robotName, robot.sceneDefId];
      if (robot.sceneRecords.length === 0) rows.push([...head, null, null]);
      robot.sceneRecords.forEach((record, i) => {
        // Robot columns only on its first line, so each robot reads as one block.
        rows.push([...(i === 0 ? head : ['', '', '']), record.sceneRecordId, record.sceneRecordName]);
      });
    }
    writeAnswer(
      ctx,
      robots.map(withoutRaw),
      renderTable(
        [
          { header: 'ROBOT', align: 'right' },
          { header: 'NAME', maxWidth: 40 },
          { header: 'SCENE', align: 'right' },
          { header: 'RECORDING', align: 'right' },
          { header: 'RECORDING NAME', maxWidth: 40 },
        ],
        rows,
      ),
    );
    return 0;
  },
};

export const phonesCommand: CommandDef = {
  name: 'phones',
  summary: "List a company's caller lines (主叫号码), available or not.",
  usage: 'phones --company <id> [--json]',
  details: 'The ID column is what `tasks create --phones` takes.',
  options: { company: COMPANY_OPTION },
  examples: ['phones --company 1'],
  async run(ctx, args) {
    const companyId = args.id('company');
    writeList(
      ctx,
      await ctx.client.getPhones(companyId),
      [
        { header: 'ID', align: 'right' },
        { header: 'PHONE' },
        { header: 'NAME', maxWidth: 30 },
        { header: 'TYPE' },
        { header: 'AVAILABLE' },
      ],
      (l) => [l.userPhoneId, l.phone, l.phoneName, formatCoded(l.phoneType), formatBool(l.available)],
    );
    return 0;
  },
};
