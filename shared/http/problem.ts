import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export interface FieldProblem {
  /** A dot path into the request: `body.customers.3.phone`, `path.taskId`, `header.authorization`. */
  field: string;
  /** A short rule id: `required`, `type`, `format`, `max-length`, `unknown-field`, … */
  rule: string;
  message: string;
}

export const PROBLEM_BASE = 'https://byrobot-bridge.dev/problems/';

/**
 * An HTTP error with an RFC 9457 problem body. `expose` is false at 500 and above so that a server
 * error never carries internals to the caller.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly errors: FieldProblem[];
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    slug: string,
    title: string,
    detail?: string,
    extra: { errors?: FieldProblem[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail ?? title, { cause: extra.cause });
    this.name = 'HttpProblem';
    this.status = status;
    this.type = `${PROBLEM_BASE}${slug}`;
    this.title = title;
    this.errors = extra.errors ?? [];
    this.headers = extra.headers ?? {};
  }

  get expose(): boolean {
    return this.status < 500;
  }
}

export function problemResponse(
  problem: HttpProblem,
  instance: string | undefined,
): APIGatewayProxyStructuredResultV2 {
  const body: Record<string, unknown> = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.message,
  };
  if (instance) body.instance = instance;
  if (problem.errors.length > 0) body.errors = problem.errors;
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...problem.headers },
    body: JSON.stringify(body),
  };
}

export const problems = {
  badRequest: (detail: string, errors?: FieldProblem[]) =>
    new HttpProblem(400, 'bad-request', 'Bad Request', detail, { errors }),
  unauthorized: () =>
    new HttpProblem(401, 'unauthorized', 'Unauthorized', 'missing or invalid credentials', {
      headers: { 'www-authenticate': 'Bearer' },
    }),
  forbidden: (detail: string) => new HttpProblem(403, 'forbidden', 'Forbidden', detail),
  notFound: (detail: string) => new HttpProblem(404, 'not-found', 'Not Found', detail),
  conflict: (detail: string) => new HttpProblem(409, 'conflict', 'Conflict', detail),
  tooLarge: (detail: string) => new HttpProblem(413, 'payload-too-large', 'Payload Too Large', detail),
  unsupportedMediaType: (detail: string) =>
    new HttpProblem(415, 'unsupported-media-type', 'Unsupported Media Type', detail),
  unprocessable: (detail: string, errors?: FieldProblem[]) =>
    new HttpProblem(422, 'validation-failed', 'Unprocessable Content', detail, { errors }),
  badGateway: (detail: string, cause?: unknown) =>
    new HttpProblem(502, 'byrobot-refused', 'Bad Gateway', detail, { cause }),
  unavailable: (detail: string, retryAfterSeconds: number, cause?: unknown) =>
    new HttpProblem(503, 'byrobot-unavailable', 'Service Unavailable', detail, {
      headers: { 'retry-after': String(retryAfterSeconds) },
      cause,
    }),
  internal: (cause?: unknown) =>
    new HttpProblem(
      500,
      'internal',
      'Internal Server Error',
      'the bridge failed; the request id is in the logs',
      { cause },
    ),
};
