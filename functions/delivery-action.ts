import { routeLambda } from '../shared/api/route.ts';
import { readApiConfig } from '../shared/config/api.ts';
import { awsDeliveryControl, readDeliveryQueues } from '../shared/delivery/aws-control.ts';
import { DeliveryLog } from '../shared/delivery/log-store.ts';
import { deliveryActionRoute } from '../shared/delivery/routes.ts';
import { createDocumentClient } from '../shared/store/dynamo.ts';

const config = readApiConfig();
const log = new DeliveryLog(createDocumentClient({ endpoint: config.dynamoEndpoint }), config.tableName);

/** API Gateway HTTP API (payload v2) → replay one event, resume a paused destination. */
export const handler = routeLambda(deliveryActionRoute, config, {
  deliveries: awsDeliveryControl(readDeliveryQueues(process.env), log),
});
