import { routeLambda } from '../shared/api/route.ts';
import { readApiConfig } from '../shared/config/api.ts';
import { getDeliveriesRoute } from '../shared/delivery/routes.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → the delivery log. */
export const handler = routeLambda(getDeliveriesRoute, config, {});
