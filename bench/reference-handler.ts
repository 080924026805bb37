// The fixed yardstick for cold-start figures (bench/bundles.ts): a handler that does nothing but
// create one DynamoDB client, bundled the way CDK's NodejsFunction bundles by default.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});

export const handler = async () => ({ ok: client.config.apiVersion !== '' });
