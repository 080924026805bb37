import { basename } from 'node:path';
import { type ImportSummary, MAX_IMPORT_BATCH } from '../../shared/byrobot/index.ts';
import { type RowProblem as ImportProblem, prepareImport } from '../../shared/imports/index.ts';
import { CliError, type CommandDef, EXIT, UsageError } from '../command.ts';
import { readCustomerFile } from '../customer-file.ts';
import { heading, maskPhone, writeJson } from '../format.ts';
import { createProgress } from '../progress.ts';
import { renderFields, renderTable } from '../table.ts';
import { COMPANY_OPTION } from './companies.ts';

/** One row that was not sent, as listed to the operator: phone masked, row as in the file. */
export interface RowReport extends Omit<ImportProblem, 'index'> {
  row: string;
  phone: string | null;
}

export const customersImportCommand: CommandDef = {
  name: 'customers import',
  summary: 'Import customers into a task from a CSV or JSON file.',
  usage:
    'customers import <taskId> --company <id> <file.csv|file.json> [--missing-variables reject|pass] [--batch-size n] [--dry-run]',
  details: [
    'CSV: a header row; columns name and phone (or 姓名/客户名称/客户姓名 and 电话/手机/手机号/',
    '手机号码/电话号码/联系方式/联系电话); every other column becomes a property (a script variable or',
    'your own field such as a CRM id, echoed back on every call). UTF-8 with or without a BOM, or',
    'GBK/GB18030. JSON: an array of { name, phone, properties? } or { "customers": [...] }.',
    '',
    'Each row is checked first (phone format, duplicates in the file, the script variables the',
    "task's scene needs). With --missing-variables reject a row missing a variable is not sent;",
    'with pass (the default) it is, and byrobot counts it as a variable failure if it refuses it.',
    'Rows are listed by their row in the file (CSV: the header is row 1) with phones masked.',
    '',
    'byrobot can take minutes to answer an import (BYROBOT_IMPORT_TIMEOUT_MS, default 600000). When',
    'an answer is lost anyway (a timeout, a dropped connection) the request is retried and what',
    "really landed is settled from the task's customer count, not from the retry's repeats.",
    '',
    'Exit code: 0 every valid row is in the task (imported now, or already there); 2 some rows were',
    'invalid or refused by byrobot (the valid ones were imported); 1 nothing could be imported or',
    'the import failed.',
  ].join('\n'),
  positionals: [
    { name: 'taskId', description: 'the task to import into' },
    { name: 'file', description: 'customers as .csv or .json' },
  ],
  options: {
    company: COMPANY_OPTION,
    'missing-variables': {
      type: 'string',
      value: '<reject|pass>',
      description: 'rows missing a scene variable: reject them here, or pass them to byrobot (default)',
    },
    'batch-size': {
      type: 'string',
      value: '<n>',
      description: `customers per request, 1-${MAX_IMPORT_BATCH} (default ${MAX_IMPORT_BATCH}, byrobot's maximum)`,
    },
    'dry-run': { type: 'boolean', description: 'check the file and report, send nothing' },
  },
  examples: [
    'customers import 1001 --company 1 customers.csv',
    'customers import 1001 --company 1 customers.json --missing-variables reject --dry-run',
  ],
  async run(ctx, args) {
    const { io, json } = ctx;
    const taskId = args.positionalId(0, 'taskId');
    const path = args.positional(1, 'file');
    const companyId = args.id('company');
    const missingText = args.string('missing-variables') ?? 'pass';
    if (missingText !== 'reject' && missingText !== 'pass') {
      throw new UsageError(`--missing-variables must be reject or pass, got ${JSON.stringify(missingText)}`);
    }
    const onMissingVariables: 'reject' | 'pass' = missingText;
    const batchSize = args.int('batch-size', { min: 1, max: MAX_IMPORT_BATCH }) ?? MAX_IMPORT_BATCH;
    const dryRun = args.flag('dry-run');

    const file = await readCustomerFile(path);
    if (file.received === 0) throw new CliError(`${path} has no customers`);

    // The scene's variables come from the task itself, so the check matches what byrobot will ask.
    const task = await ctx.client.getTaskDetail({ companyId, taskId });
    const sceneVariables =
      task.sceneDefId === null
        ? []
        : await ctx.client.getSceneVariables({ companyId, sceneDefId: task.sceneDefId });

    const prepared = prepareImport(file.rows, { requiredVariables: sceneVariables, onMissingVariables });
    const whereOf = (index: number) => file.where[index] ?? `#${index + 1}`;
    const phoneOf = (index: number) => maskPhone(file.rows[index]?.phone ?? null);

    const rejected: RowReport[] = [
      ...file.problems.map((p) => rowReport(p.where, null, p)),
      ...prepared.invalid.map((p) => rowReport(whereOf(p.index), phoneOf(p.index), p)),
      ...prepared.duplicates.map((d) =>
        rowReport(whereOf(d.index), d.phone, {
          field: 'phone',
          rule: 'duplicate',
          message: `same phone as ${whereOf(d.duplicateOf)}; only that row is sent`,
        }),
      ),
    ].sort((a, b) => rowOrder(a.row) - rowOrder(b.row));
    // Rows missing a script variable that go ahead anyway (--missing-variables pass).
    const warnings = prepared.warnings.map((w) =>
      rowReport(whereOf(w.index), phoneOf(w.index), {
        ...w,
        message: `${w.message}; sent anyway, byrobot will likely refuse it`,
      }),
    );
    const invalidRows = file.problems.length + prepared.counts.invalid;
    const counts = {
      received: file.received,
      valid: prepared.valid.length,
      duplicates: prepared.duplicates.length,
      invalid: invalidRows,
    };

    let summary: ImportSummary | null = null;
    if (!dryRun && prepared.valid.length > 0) {
      const customers = prepared.valid.map(({ name, phone, properties }) =>
        properties ? { name, phone, properties } : { name, phone },
      );
      // Rows, not requests: the default batch of 10,000 makes most imports one request.
      const requests = Math.ceil(customers.length / batchSize);
      const progress = createProgress({
        stream: io.stderr,
        isTTY: io.isTTY === true,
        label: 'importing',
        total: customers.length,
        unit: 'rows',
      });
      progress.update(0, `request 0/${requests}`);
      try {
        summary = await ctx.client.importCustomers({
          companyId,
          taskId,
          customers,
          batchSize,
          onProgress: (p) => progress.update(p.customersSent, `request ${p.requestsDone}/${requests}`),
        });
      } finally {
        progress.finish();
      }
    }

    // Every valid row must be in the task: added now, or a repeat (already there). A lost answer's
    // rows were settled by the client from the task's count, so this is byrobot's truth.
    const landed =
      summary && summary.successNum !== null ? summary.successNum + (summary.repeatNum ?? 0) : null;
    const refusedByByrobot =
      (summary?.placeFailNum ?? 0) > 0 || (landed !== null && landed < prepared.valid.length);
    const exitCode =
      prepared.valid.length === 0
        ? EXIT.failure
        : invalidRows > 0 || refusedByByrobot
          ? EXIT.partial
          : EXIT.ok;

    if (json) {
      writeJson(io.stdout, {
        taskId,
        companyId,
        file: {
          name: basename(path),
          format: file.format,
          encoding: file.encoding,
          columns: file.columns ?? null,
        },
        sceneVariables,
        missingVariables: onMissingVariables,
        dryRun,
        counts,
        byrobot: summary,
        rows: rejected,
        warnings,
        exitCode,
      });
      return exitCode;
    }

    const out: string[] = [];
    const source = `${basename(path)} (${file.format.toUpperCase()}, ${file.encoding.toUpperCase()})`;
    out.push(`Import into task ${taskId}${dryRun ? ' (dry run: nothing sent)' : ''}\n`);
    out.push(
      renderFields([
        ['file', source],
        ...(file.columns
          ? ([
              [
                'columns',
                `name=${file.columns.name}, phone=${file.columns.phone}${file.columns.properties.length > 0 ? `, properties: ${file.columns.properties.join(', ')}` : ''}`,
              ],
            ] as const)
          : []),
        [
          'scene variables',
          sceneVariables.length > 0
            ? `${sceneVariables.join(', ')} (missing: ${onMissingVariables})`
            : 'none',
        ],
        ['received', counts.received],
        ['valid', counts.valid],
        ['duplicates', counts.duplicates],
        ['invalid', counts.invalid],
      ]),
    );
    if (summary) {
      out.push(
        heading(`byrobot (${summary.requests} request${summary.requests === 1 ? '' : 's'})`),
        renderFields([
          ['sent', summary.submitted],
          ['success', summary.successNum ?? 'not reported'],
          ['repeat (already in task)', summary.repeatNum ?? 'not reported'],
          ['variable failures', summary.placeFailNum ?? 'not reported'],
          ...(summary.settledByTaskCount > 0
            ? ([
                [
                  'answers lost',
                  `${summary.settledByTaskCount} request(s): counts settled from the task's customer count`,
                ],
              ] as const)
            : []),
          ...(summary.unsettled > 0
            ? ([
                [
                  'in doubt',
                  `${summary.unsettled} repeat(s) may be rows a lost attempt added (the task's count could not be read)`,
                ],
              ] as const)
            : []),
        ]),
      );
    } else if (!dryRun) {
      out.push('\nNothing sent: no valid rows.\n');
    }
    if (rejected.length > 0) {
      out.push(
        heading('Rows not sent'),
        renderTable(
          [
            { header: 'ROW' },
            { header: 'PHONE' },
            { header: 'FIELD' },
            { header: 'RULE' },
            { header: 'REASON' },
          ],
          rejected.map((r) => [r.row, r.phone, r.field, r.rule, r.message]),
        ),
      );
    }
    if (warnings.length > 0) {
      out.push(
        heading('Rows sent with a missing variable'),
        renderTable(
          [{ header: 'ROW' }, { header: 'PHONE' }, { header: 'FIELD' }, { header: 'REASON' }],
          warnings.map((r) => [r.row, r.phone, r.field, r.message]),
        ),
      );
    }
    io.stdout.write(out.join(''));
    return exitCode;
  },
};

function rowReport(row: string, phone: string | null, problem: Omit<RowReport, 'row' | 'phone'>): RowReport {
  return { row, phone, field: problem.field, rule: problem.rule, message: problem.message };
}

/** Sorts `line 12` and `[3]` labels by their number. */
function rowOrder(label: string): number {
  const m = /(\d+)\D*$/.exec(label);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}
