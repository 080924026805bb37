import { createHash } from 'node:crypto';

/** This project's UUID v5 namespace (a fixed random UUID). */
const NAMESPACE = Buffer.from('3f0b6d1e8a2c4e7b9d5f1a2b3c4d5e6f', 'hex');

/**
 * A name-based UUID (RFC 9562 v5): the same name always gives the same id, so an event republished
 * after a crash carries the id it had the first time, and consumers can drop the duplicate.
 */
export function deterministicId(...parts: Array<string | number>): string {
  const hash = createHash('sha1').update(NAMESPACE).update(parts.join('\u001f')).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
