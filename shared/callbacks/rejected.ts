import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { partitionItems } from '../store/query.ts';
import { epochSeconds, keys, recordOf, TTL_ATTRIBUTE } from '../store/table.ts';

/*
 * Callbacks the bridge could not understand (malformed JSON, an unknown dataType, no usable id, a
 * wrong shape, a refused signature): one item each under CBBAD#<UTC day>, kept 30 days, so an
 * operator can see what byrobot sent (docs/runbook.md, "Unprocessable callbacks"). Answered
 * `success` only once stored: byrobot would otherwise retry garbage for 26 hours.
 */

/** DynamoDB's item limit is 400 KB; the rest of the item is well under 4 KB. */
export const MAX_STORED_BODY_BYTES = 390 * 1024;
export const REJECTED_TTL_DAYS = 30;

export interface RejectedCallback {
  receivedAt: string;
  reason: string;
  contentType: string | null;
  dataType: string | null;
  /** The id byrobot's body carried, if one could be read (for finding it). */
  callbackId: string | null;
  sourceIp: string | null;
  body: string;
  bodyBytes: number;
  bodyTruncated: boolean;
}

function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Back off to a character boundary (a UTF-8 continuation byte is 10xxxxxx).
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

export class RejectedCallbacks {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async store(
    input: Omit<RejectedCallback, 'receivedAt' | 'bodyBytes' | 'bodyTruncated'> & {
      receivedAtMs: number;
      /** Makes the sort key unique (the request id). */
      uniqueId: string;
    },
  ): Promise<void> {
    const day = new Date(input.receivedAtMs).toISOString().slice(0, 10);
    const body = cutUtf8(input.body, MAX_STORED_BODY_BYTES);
    const bodyBytes = Buffer.byteLength(input.body, 'utf8');
    const item: RejectedCallback = {
      receivedAt: new Date(input.receivedAtMs).toISOString(),
      reason: input.reason.slice(0, 500),
      contentType: input.contentType?.slice(0, 200) ?? null,
      dataType: input.dataType,
      callbackId: input.callbackId,
      sourceIp: input.sourceIp,
      body,
      bodyBytes,
      bodyTruncated: body.length !== input.body.length,
    };
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.callbackRejected(day, input.receivedAtMs, input.uniqueId),
          ...item,
          [TTL_ATTRIBUTE]: epochSeconds(input.receivedAtMs) + REJECTED_TTL_DAYS * 86_400,
        },
      }),
    );
  }

  /** One UTC day's rejected callbacks, oldest first. */
  async list(day: string, limit = 100): Promise<RejectedCallback[]> {
    const out: RejectedCallback[] = [];
    const items = partitionItems(this.doc, this.tableName, keys.callbacksRejectedOn(day), { Limit: limit });
    for await (const item of items) {
      out.push(recordOf<RejectedCallback>(item));
      if (out.length >= limit) break;
    }
    return out;
  }
}
