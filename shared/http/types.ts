import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Principal } from './auth.ts';

/** The HTTP API event once the middleware stack has run: raw and parsed body, and the caller. */
export interface ApiEvent extends APIGatewayProxyEventV2 {
  rawBody: string;
  jsonBody: unknown;
  principal: Principal;
  /** Aborted when the function is about to run out of time and the route has answered 503 (stack.ts). */
  deadline?: AbortSignal;
}

export type ApiResult = APIGatewayProxyStructuredResultV2;
export type RouteHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
