// The yardstick for cold-start figures (bench/bundles.ts): a handler that does nothing but create
// one AWS SDK client, bundled with the same esbuild settings as every bridge function.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});

export const handler = async () => ({ ok: client.config.apiVersion !== '' });
