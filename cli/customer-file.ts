import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { RowProblem as ImportProblem, PreparedRow } from '../shared/imports/index.ts';
import { CliError } from './command.ts';
import { CsvError, decodeText, parseCsv } from './csv.ts';

/**
 * Reads a customer list for `customers import`: a CSV with a header row, or JSON. The reader only
 * turns the file into rows (name, phone, properties) and says where each came from; checking the
 * values (phone format, duplicates, the script's variables) is the import preparation's job, so
 * the CLI and the HTTP API judge rows the same way.
 */

/** A customer as the file gives it: the import preparation's row, before it has a position. */
export type CustomerRow = Omit<PreparedRow, 'index'>;

/** A row the reader could not turn into a customer at all, in the preparation's terms. */
export interface RowProblem extends Omit<ImportProblem, 'index'> {
  /** Where the row is in the file: `line 5` (CSV) or `[3]` (JSON array index). */
  where: string;
}

export interface CustomerFile {
  format: 'csv' | 'json';
  encoding: 'utf-8' | 'gb18030';
  /** Customers in file order (blank CSV lines skipped). */
  rows: CustomerRow[];
  /** Parallel to `rows`: where each one is in the file. */
  where: string[];
  problems: RowProblem[];
  /** Rows in the file, usable or not. */
  received: number;
  /** CSV: which header became what. */
  columns?: { name: string; phone: string; properties: string[] };
}

/** Header names read as the customer's name or phone; any other column becomes a property. */
export const NAME_HEADERS = ['name', '姓名', '客户名称', '客户姓名'];
export const PHONE_HEADERS = [
  'phone',
  'mobile',
  '电话',
  '手机',
  '手机号',
  '手机号码',
  '电话号码',
  '联系方式',
  '联系电话',
];

const headerKey = (h: string) => h.trim().toLowerCase();

export async function readCustomerFile(path: string): Promise<CustomerFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(error);
    throw new CliError(`cannot read ${path}: ${reason}`, { cause: error });
  }
  const { text, encoding } = decodeText(bytes);
  const ext = extname(path).toLowerCase();
  // Without a telling extension, JSON starts with [ or {; anything else is read as CSV.
  const isJson = ext === '.json' || (ext !== '.csv' && /^\s*[[{]/.test(text));
  return isJson
    ? { ...parseCustomerJson(text, path), encoding }
    : { ...parseCustomerCsv(text, path), encoding };
}

export function parseCustomerCsv(text: string, path = 'the file'): Omit<CustomerFile, 'encoding'> {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw new CliError(`${path} is not valid CSV: ${error.message}`);
    throw error;
  }
  const [header, ...data] = records;
  if (!header || header.fields.every((f) => f.trim() === '')) {
    throw new CliError(`${path} is empty: expected a header row such as name,phone`);
  }
  const headers = header.fields.map((h) => h.trim());
  const find = (aliases: readonly string[], what: string): number => {
    const found = headers.flatMap((h, i) => (aliases.includes(headerKey(h)) ? [i] : []));
    if (found.length === 0) {
      throw new CliError(
        `${path} has no ${what} column: name one of ${aliases.join(', ')} in the header row`,
      );
    }
    if (found.length > 1) {
      throw new CliError(
        `${path} has more than one ${what} column (${found.map((i) => headers[i]).join(', ')}); keep one`,
      );
    }
    return found[0]!;
  };
  const nameAt = find(NAME_HEADERS, 'name');
  const phoneAt = find(PHONE_HEADERS, 'phone');
  const propertyAt = headers.flatMap((h, i) => (i !== nameAt && i !== phoneAt && h !== '' ? [i] : []));
  const seen = new Set<string>();
  for (const i of propertyAt) {
    if (seen.has(headers[i]!))
      throw new CliError(`${path} has two columns named ${JSON.stringify(headers[i])}`);
    seen.add(headers[i]!);
  }

  const rows: CustomerRow[] = [];
  const where: string[] = [];
  const problems: RowProblem[] = [];
  let received = 0;
  data.forEach((record, i) => {
    // Spreadsheet row numbers: the header is row 1, so data record i is row i + 2.
    const label = `line ${i + 2}`;
    if (record.fields.every((f) => f.trim() === '')) return;
    received++;
    const extra = record.fields.slice(headers.length).filter((f) => f.trim() !== '');
    // Cells under an empty header are dropped; cells beyond the header usually mean an unquoted
    // comma shifted the row, which would put the wrong value under every later column.
    if (extra.length > 0) {
      problems.push({
        where: label,
        field: 'row',
        rule: 'columns',
        message: `${record.fields.length} fields but the header has ${headers.length} (an unquoted comma?)`,
      });
      return;
    }
    const cell = (at: number) => (record.fields[at] ?? '').trim();
    const properties: Record<string, string> = {};
    for (const at of propertyAt) {
      // An empty cell is a missing value, so the script-variable check can see it.
      if (cell(at) !== '') properties[headers[at]!] = cell(at);
    }
    rows.push({
      name: cell(nameAt),
      phone: cell(phoneAt),
      ...(Object.keys(properties).length > 0 && { properties }),
    });
    where.push(label);
  });
  return {
    format: 'csv',
    rows,
    where,
    problems,
    received,
    columns: {
      name: headers[nameAt]!,
      phone: headers[phoneAt]!,
      properties: propertyAt.map((i) => headers[i]!),
    },
  };
}

export function parseCustomerJson(text: string, path = 'the file'): Omit<CustomerFile, 'encoding'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${error instanceof Error ? error.message : error}`);
  }
  const list = Array.isArray(parsed)
    ? parsed
    : parsed !== null &&
        typeof parsed === 'object' &&
        Array.isArray((parsed as { customers?: unknown }).customers)
      ? (parsed as { customers: unknown[] }).customers
      : null;
  if (!list) throw new CliError(`${path}: expected an array of customers or { "customers": [...] }`);
  const prefix = Array.isArray(parsed) ? '' : 'customers';

  const rows: CustomerRow[] = [];
  const where: string[] = [];
  const problems: RowProblem[] = [];
  list.forEach((item, i) => {
    const label = `${prefix}[${i}]`;
    const read = readJsonCustomer(item);
    if ('problem' in read) {
      problems.push({ where: label, field: read.field, rule: 'type', message: read.problem });
      return;
    }
    rows.push(read);
    where.push(label);
  });
  return { format: 'json', rows, where, problems, received: list.length };
}

function readJsonCustomer(item: unknown): CustomerRow | { field: string; problem: string } {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    return { field: 'row', problem: 'not an object with name and phone' };
  }
  const record = item as Record<string, unknown>;
  const name = scalarText(record.name);
  const phone = scalarText(record.phone);
  if (name === null) return { field: 'name', problem: 'must be text' };
  if (phone === null) return { field: 'phone', problem: 'must be text or a number' };
  if (record.properties === undefined || record.properties === null) return { name, phone };
  if (typeof record.properties !== 'object' || Array.isArray(record.properties)) {
    return { field: 'properties', problem: 'must be an object of text values' };
  }
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(record.properties)) {
    const text = scalarText(value);
    if (text === null) return { field: `properties.${key}`, problem: 'must be text, a number or true/false' };
    if (value !== null && value !== undefined) properties[key] = text;
  }
  return Object.keys(properties).length > 0 ? { name, phone, properties } : { name, phone };
}

/** byrobot takes properties as a string map: numbers and booleans become their text; null is absent. */
function scalarText(value: unknown): string | null {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}
