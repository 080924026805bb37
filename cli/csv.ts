/**
 * A small RFC 4180 CSV reader for customer lists. Operators export these from CRMs and Excel, so it
 * accepts what those write: a UTF-8 byte order mark, CRLF or LF line ends, quoted fields holding
 * commas, line breaks and doubled quotes. It is strict only where leniency would silently shift
 * columns (text after a closing quote, an unterminated quote), because a shifted column sends a
 * name where a phone number belongs.
 */

export interface CsvRecord {
  /** The record's fields, unquoted. A blank line is one empty field: `['']`. */
  fields: string[];
  /** The text line the record starts on, 1-based (differs from the record number when a quoted field spans lines). */
  line: number;
}

export class CsvError extends Error {
  /** 1-based text line of the problem. */
  readonly line: number;
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
    this.line = line;
  }
}

export interface CsvOptions {
  /** One character. @default ',' */
  delimiter?: string;
}

const BOM = '\uFEFF';

/**
 * Parses CSV text into records. A final line break does not make an extra record; blank lines in
 * the middle are kept as `['']` so record numbers stay those a spreadsheet shows.
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvRecord[] {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
    throw new TypeError(`delimiter must be one character other than a quote or line break`);
  }
  const input = text.startsWith(BOM) ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = input.length;

  const endRecord = () => {
    fields.push(field);
    records.push({ fields, line: recordLine });
    fields = [];
    field = '';
  };
  /** Consumes a line break at `i` (CRLF, LF or a lone CR) and returns true, or returns false. */
  const lineBreak = (): boolean => {
    const c = input[i];
    if (c === '\r') {
      i += input[i + 1] === '\n' ? 2 : 1;
    } else if (c === '\n') {
      i += 1;
    } else {
      return false;
    }
    line++;
    return true;
  };

  while (i < n) {
    // At the start of a field.
    if (input[i] === '"') {
      const openedOn = line;
      i++;
      for (;;) {
        if (i >= n) throw new CsvError('a quoted field is never closed', openedOn);
        const c = input[i];
        if (c === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\r' || c === '\n') {
          // Keep the line break as written, normalised to LF: a multi-line address or note.
          lineBreak();
          field += '\n';
          continue;
        }
        field += c;
        i++;
      }
      // Some writers pad after the closing quote; anything else means the quoting is broken.
      while (input[i] === ' ' || input[i] === '\t') i++;
      if (i < n && input[i] !== delimiter && input[i] !== '\r' && input[i] !== '\n') {
        throw new CsvError(`unexpected ${JSON.stringify(input[i])} after a closing quote`, line);
      }
    } else {
      // An unquoted field runs to the next delimiter or line break; a stray quote inside it is
      // kept as a character, as Excel does (`5" screen`).
      while (i < n && input[i] !== delimiter && input[i] !== '\r' && input[i] !== '\n') {
        field += input[i];
        i++;
      }
    }
    if (i >= n) break;
    if (input[i] === delimiter) {
      fields.push(field);
      field = '';
      i++;
      if (i >= n) break; // `a,b,` ends with an empty field
      continue;
    }
    lineBreak();
    endRecord();
    recordLine = line;
  }
  // Text after the last line break (or a trailing delimiter) is a last record; a bare final line
  // break is not.
  if (n > 0 && (field !== '' || fields.length > 0 || !endsWithLineBreak(input))) endRecord();
  return records;
}

function endsWithLineBreak(text: string): boolean {
  return text.endsWith('\n') || text.endsWith('\r');
}

export interface DecodedText {
  text: string;
  encoding: 'utf-8' | 'gb18030';
}

/**
 * Decodes a file's bytes. UTF-8 (with or without a BOM) first; bytes that are not valid UTF-8 are
 * read as GB18030, the superset of GBK that Excel on Chinese Windows writes for a plain "CSV" save.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  try {
    // The decoder drops a leading BOM, so JSON.parse sees clean text too.
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('gb18030').decode(bytes), encoding: 'gb18030' };
  }
}
