import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

/** EventBridge's per-entry limit, and entries per PutEvents call. */
export const MAX_ENTRY_BYTES = 256 * 1024;
export const MAX_ENTRIES_PER_CALL = 10;

/**
 * A PutEvents entry's size as AWS computes it: Time counts 14 bytes when present; Source,
 * DetailType, Detail and each Resources string count their UTF-8 bytes.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export function putEventsEntrySize(
  entry: Pick<PutEventsRequestEntry, 'Time' | 'Source' | 'DetailType' | 'Detail' | 'Resources'>,
): number {
  let size = entry.Time !== undefined ? 14 : 0;
  size += Buffer.byteLength(entry.Source ?? '', 'utf8');
  size += Buffer.byteLength(entry.DetailType ?? '', 'utf8');
  size += Buffer.byteLength(entry.Detail ?? '', 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource ?? '', 'utf8');
  return size;
}
