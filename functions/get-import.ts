import { routeLambda } from '../shared/api/route.ts';
import { getImportRoute } from '../shared/api/routes.ts';
import { readApiConfig } from '../shared/config/api.ts';

const config = readApiConfig();

/** API Gateway HTTP API (payload v2) → an import's progress. */
export const handler = routeLambda(getImportRoute, config, {});
