import type { PreparedRow } from './prepare.ts';

export interface ChunkOptions {
  /** @default 1000 */
  maxRows?: number;
  /** JSON bytes per chunk: a chunk is one DynamoDB item (400 KB limit), queued by reference. @default 300000 */
  maxBytes?: number;
}

/** Splits rows into chunks by count and size, in order, each row's original index kept. */
export function chunkRows<T extends PreparedRow>(rows: readonly T[], options: ChunkOptions = {}): T[][] {
  const maxRows = options.maxRows ?? 1000;
  const maxBytes = options.maxBytes ?? 300_000;
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 2;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row), 'utf8') + 1;
    if (size + 2 > maxBytes)
      throw new RangeError(`row ${row.index} alone is ${size} bytes, over a chunk's ${maxBytes}`);
    if (current.length >= maxRows || bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 2;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** byrobot takes at most 10,000 customers a request. */
export function splitForByrobot<T>(rows: readonly T[], max = 10_000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += max) out.push(rows.slice(i, i + max));
  return out;
}
