import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { MANIFEST } from '../../shared/manifest.ts';

/**
 * What a Lambda handler gets as its context, locally: its time runs out after the function's timeout
 * in the manifest (30 s for a name it does not hold), so a slow byrobot meets the same deadline here.
 */
export const lambdaContext = (
  name: string,
  timeoutMs = ((MANIFEST as Record<string, { timeoutSeconds: number }>)[name]?.timeoutSeconds ?? 30) * 1000,
): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

/** An API Gateway HTTP API payload v2 event, as API Gateway builds it. */
export function httpEvent(input: {
  method: string;
  path: string;
  routeKey?: string;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
  /** As API Gateway gives them: repeated names already joined with commas. */
  queryStringParameters?: Record<string, string>;
  body?: string;
}): APIGatewayProxyEventV2 {
  const headers = Object.fromEntries(
    Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return {
    version: '2.0',
    routeKey: input.routeKey ?? `${input.method} ${input.path}`,
    rawPath: input.path,
    rawQueryString: new URLSearchParams(input.queryStringParameters ?? {}).toString(),
    headers,
    ...(input.queryStringParameters ? { queryStringParameters: input.queryStringParameters } : {}),
    pathParameters: input.pathParameters,
    body: input.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: input.method,
        path: input.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'vitest',
      },
      requestId: randomUUID(),
      routeKey: input.routeKey ?? `${input.method} ${input.path}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}
