import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  type FunctionName,
  IDEMPOTENCY_ACCESS,
  type KeyPrefix,
  MANIFEST,
  type RouteRecord,
  type Secret,
  type TableAction,
  type WorkerRecord,
} from '../shared/manifest.ts';

export interface Grantable {
  table: dynamodb.ITable;
  secrets: Record<Secret, secretsmanager.ISecret>;
  /** What the `queue` client sends to. */
  importQueue: sqs.IQueue;
  /** What the `callbackQueue` client sends to. */
  callbackQueue: sqs.IQueue;
  /** What the `publish` client puts events on. */
  bus: events.IEventBus;
}

/** A function's table access: its record's, plus the idempotency records of an idempotent route. */
export function tableAccess(name: FunctionName): [KeyPrefix, readonly TableAction[]][] {
  const record: RouteRecord | WorkerRecord = MANIFEST[name];
  const idempotent = 'idempotent' in record && record.idempotent;
  return Object.entries({ ...record.table, ...(idempotent ? IDEMPOTENCY_ACCESS : {}) }) as [
    KeyPrefix,
    readonly TableAction[],
  ][];
}

/**
 * Everything a function may do, from its record in shared/manifest.ts and nothing more: the
 * DynamoDB actions it calls, each only on items whose partition key starts with the record's prefix
 * (`dynamodb:LeadingKeys`: every granted action names its keys, so the condition always applies);
 * the secrets it reads; sending to the import queue for the `queue` client and to the callback
 * queue for `callbackQueue`, PutEvents on the
 * stage's bus for `publish`.
 */
export function grantFromManifest(fn: lambda.IFunction, name: FunctionName, to: Grantable): void {
  const record = MANIFEST[name];
  grantTableFromManifest(fn, name, to.table);
  for (const secret of record.secrets) to.secrets[secret].grantRead(fn);
  const clients: readonly string[] = record.clients;
  if (clients.includes('queue')) to.importQueue.grantSendMessages(fn);
  if (clients.includes('callbackQueue')) to.callbackQueue.grantSendMessages(fn);
  if (clients.includes('publish')) to.bus.grantPutEventsTo(fn);
}

/**
 * The table part of grantFromManifest alone, for functions a construct of their own creates (the
 * deliverers, infra/constructs/delivery.ts) and grants the rest to.
 */
export function grantTableFromManifest(
  fn: lambda.IFunction,
  name: FunctionName,
  table: dynamodb.ITable,
): void {
  for (const [prefix, actions] of tableAccess(name)) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: actions.map((a) => `dynamodb:${a}`),
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } },
      }),
    );
  }
}
