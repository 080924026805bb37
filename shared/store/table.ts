import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/*
 * One table, generic `pk`/`sk` keys, every write a single-item (conditional) write: dynalite, which
 * the local stack and tests use, has no transactions, and AWS behaves the same way with this design.
 *
 * | item                  | pk                         | sk                      |
 * |-----------------------|----------------------------|-------------------------|
 * | task snapshot         | CO#<companyId>             | TASK#<taskId>           |
 * | company seen marker   | CO#<companyId>             | META                    |
 * | call ledger page      | LEDGER#<companyId>#<taskId>| V#<version>#<part>      |
 * | poller lease          | LEASE#<companyId>          | LEASE                   |
 * | import job / chunk    | IMPORT#<importId>          | JOB / CHUNK#<n>         |
 * | import still queueing | IMPORTQ#<UTC yyyy-mm-dd>   | <importId>              |
 * | idempotency record    | IDEM#<scope>#<key>         | IDEM                    |
 * | company-of-task cache | TASKCO#<taskId>            | TASKCO                  |
 * | calls announced/task  | CO#<companyId>             | CALLS#<taskId>          |
 * | call attempt (ledger) | CALL#<companyId>#<callId>  | A#<attempt>             |
 * | call's intent state   | CALL#<companyId>#<callId>  | INTENT                  |
 * | inbound call (ledger) | INBOUND#<companyId>#<id>   | A#0                     |
 * | unprocessable callback| CBBAD#<UTC yyyy-mm-dd>     | <receivedAt ms>#<id>    |
 * | delivery (event×dest) | DLV#<eventId>              | DEST#<destination>      |
 * | delivery attempt      | DLV#<eventId>              | DEST#<dest>#AT#<iso>#<n>|
 * | deliveries of a day   | DLVDAY#<UTC yyyy-mm-dd>    | <iso>#<eventId>#<dest>  |
 * | destination's health  | DEST#<destination>         | STATE                   |
 *
 * The IMPORTQ# items are the sweeper's query path (shared/api/imports.ts sweepStuckImports): one per
 * large import, written before its job and deleted once its last chunk message is sent, so a
 * partition holds only the day's imports whose sender may have died mid-send. A chunk item keeps its
 * rows until it is done: the sweeper rebuilds the messages that were never sent from them.
 */
export const TTL_ATTRIBUTE = 'expiresAt';

export const keys = {
  snapshot: (companyId: number, taskId: number) => ({ pk: `CO#${companyId}`, sk: `TASK#${taskId}` }),
  snapshotsOf: (companyId: number) => `CO#${companyId}`,
  companyMeta: (companyId: number) => ({ pk: `CO#${companyId}`, sk: 'META' }),
  ledger: (companyId: number, taskId: number, version: number, part: number) => ({
    pk: `LEDGER#${companyId}#${taskId}`,
    sk: `V#${String(version).padStart(10, '0')}#${part}`,
  }),
  ledgerOf: (companyId: number, taskId: number) => `LEDGER#${companyId}#${taskId}`,
  lease: (companyId: number) => ({ pk: `LEASE#${companyId}`, sk: 'LEASE' }),
  importJob: (importId: string) => ({ pk: `IMPORT#${importId}`, sk: 'JOB' }),
  importChunk: (importId: string, chunk: number) => ({
    pk: `IMPORT#${importId}`,
    sk: `CHUNK#${String(chunk).padStart(6, '0')}`,
  }),
  importOf: (importId: string) => `IMPORT#${importId}`,
  importQueueing: (day: string, importId: string) => ({ pk: `IMPORTQ#${day}`, sk: importId }),
  importsQueueingOn: (day: string) => `IMPORTQ#${day}`,
  idempotency: (scope: string, key: string) => ({ pk: `IDEM#${scope}#${key}`, sk: 'IDEM' }),
  taskCompany: (taskId: number) => ({ pk: `TASKCO#${taskId}`, sk: 'TASKCO' }),
  /** shared/calls/ledger.ts: the ledger push and pull share. */
  taskCalls: (companyId: number, taskId: number) => ({ pk: `CO#${companyId}`, sk: `CALLS#${taskId}` }),
  callAttempt: (companyId: number, callInstanceId: number, attempt: number) => ({
    pk: `CALL#${companyId}#${callInstanceId}`,
    sk: `A#${attempt}`,
  }),
  callIntent: (companyId: number, callInstanceId: number) => ({
    pk: `CALL#${companyId}#${callInstanceId}`,
    sk: 'INTENT',
  }),
  inboundCall: (companyId: number, inboundInstanceId: number) => ({
    pk: `INBOUND#${companyId}#${inboundInstanceId}`,
    sk: 'A#0',
  }),
  /** A callback that could not be understood, kept for inspection (shared/callbacks). */
  callbackRejected: (day: string, receivedAtMs: number, id: string) => ({
    pk: `CBBAD#${day}`,
    sk: `${String(receivedAtMs).padStart(15, '0')}#${id}`,
  }),
  callbacksRejectedOn: (day: string) => `CBBAD#${day}`,
  /** The delivery log (shared/delivery/log-store.ts); the day is the first attempt's, UTC. */
  delivery: (eventId: string, destination: string) => ({ pk: `DLV#${eventId}`, sk: `DEST#${destination}` }),
  deliveryAttempt: (eventId: string, destination: string, at: string, attempt: number) => ({
    pk: `DLV#${eventId}`,
    sk: `DEST#${destination}#AT#${at}#${attempt}`,
  }),
  deliveriesOf: (eventId: string) => `DLV#${eventId}`,
  deliveryOfDay: (at: string, eventId: string, destination: string) => ({
    pk: `DLVDAY#${at.slice(0, 10)}`,
    sk: `${at}#${eventId}#${destination}`,
  }),
  deliveriesOn: (day: string) => `DLVDAY#${day}`,
  destinationState: (destination: string) => ({ pk: `DEST#${destination}`, sk: 'STATE' }),
} as const;

/** The table as the local stack and tests create it; infra/ declares the same keys for AWS. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** An item as the record it stores: without the table's keys and expiry. */
export function recordOf<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, [TTL_ATTRIBUTE]: _ttl, ...record } = item;
  return record as T;
}

/** Epoch seconds, the unit DynamoDB TTL reads. */
export const epochSeconds = (ms: number) => Math.floor(ms / 1000);
