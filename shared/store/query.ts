import { type DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * The items of one partition, or those of its items whose sort key begins with `skPrefix`, page after
 * page through lib-dynamodb's paginator; `input` adds to the query (a projection, a page size).
 */
export async function* partitionItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  { skPrefix, ...input }: Partial<QueryCommandInput> & { skPrefix?: string } = {},
): AsyncGenerator<Record<string, unknown>> {
  const query: QueryCommandInput = {
    TableName: tableName,
    KeyConditionExpression: skPrefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :sk)',
    ...input,
    ExpressionAttributeValues: { ':pk': pk, ...(skPrefix === undefined ? {} : { ':sk': skPrefix }) },
  };
  for await (const page of paginateQuery({ client: doc }, query)) yield* page.Items ?? [];
}
