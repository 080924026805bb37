import { openApiRoute } from '../shared/api/openapi.ts';
import { routeLambda } from '../shared/api/route.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → the OpenAPI document. */
export const handler = routeLambda(openApiRoute, config, {});
