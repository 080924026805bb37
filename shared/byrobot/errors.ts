import type { ImportSummary } from './models.ts';

/**
 * The byrobot client's error family: one base class, subclasses a caller can tell apart, each built in
 * one place (`errorFromEnvelope`, and the transport code in client.ts).
 */
export class ByrobotError extends Error {
  /** The endpoint, e.g. `v1/task/start`. */
  readonly endpoint: string;
  /**
   * An earlier attempt of this request lost its answer (timeout, dropped connection, a 5xx from a
   * gateway, a truncated body) after byrobot may have carried it out: this error may describe a
   * retry's view of work that already happened. Set by the client's transport.
   */
  afterLostAnswer = false;
  constructor(message: string, endpoint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ByrobotError';
    this.endpoint = endpoint;
  }
}

/** A request the client will not send as it stands: `field` names what to change. */
export class ByrobotInputError extends ByrobotError {
  readonly field: string;
  constructor(endpoint: string, field: string, message: string) {
    super(message, endpoint);
    this.name = 'ByrobotInputError';
    this.field = field;
  }
}

/** byrobot answered with its envelope and `code != 200`. */
export class ByrobotApiError extends ByrobotError {
  readonly code: number;
  readonly resultMsg: string;
  readonly requestId: string | null;
  /** The HTTP status the envelope came with: 200 normally, 404/405 when the path or method is unknown. */
  httpStatus = 200;
  constructor(endpoint: string, code: number, resultMsg: string, requestId: string | null) {
    super(`byrobot ${endpoint} answered code ${code}: ${resultMsg || '(no message)'}`, endpoint);
    this.name = 'ByrobotApiError';
    this.code = code;
    this.resultMsg = resultMsg;
    this.requestId = requestId;
  }
}

/** 401 (signature refused) or 403 (no permission for that company): our credentials, not the input. */
export class ByrobotAuthError extends ByrobotApiError {
  constructor(endpoint: string, code: number, resultMsg: string, requestId: string | null) {
    super(endpoint, code, resultMsg, requestId);
    this.name = 'ByrobotAuthError';
    this.message =
      code === 401
        ? `byrobot refused the request signature on ${endpoint} (code 401: ${resultMsg}); check BYROBOT_APP_KEY / BYROBOT_APP_SECRET`
        : `byrobot denied permission on ${endpoint} (code ${code}: ${resultMsg}); the app key may not own that company`;
  }
}

/** 408: byrobot saw our `datetime` header more than 3 minutes away from its own clock. */
export class ByrobotClockSkewError extends ByrobotApiError {
  constructor(endpoint: string, code: number, resultMsg: string, requestId: string | null) {
    super(endpoint, code, resultMsg, requestId);
    this.name = 'ByrobotClockSkewError';
    this.message = `byrobot refused the request time on ${endpoint} (code 408: ${resultMsg}); this machine's clock is more than 3 minutes off — sync it (NTP)`;
  }
}

/** 404: the task, call or company does not exist (for this app key). */
export class ByrobotNotFoundError extends ByrobotApiError {
  override name = 'ByrobotNotFoundError';
}

/** 412: byrobot rejected a parameter (or an action the task's state does not allow). */
export class ByrobotBadRequestError extends ByrobotApiError {
  override name = 'ByrobotBadRequestError';
}

export type TransportErrorKind =
  /** connection refused, reset, DNS… */
  | 'network'
  /** no complete answer within the timeout */
  | 'timeout'
  /** HTTP 429 */
  | 'rate-limited'
  /** HTTP error status without byrobot's envelope */
  | 'http'
  /** an HTML page (a gateway's error page) where JSON was expected */
  | 'html'
  /** a body that is not JSON */
  | 'invalid-json'
  /** JSON without a numeric `code`: not byrobot's envelope */
  | 'invalid-envelope'
  /** the envelope said 200 but `data` is not the documented shape */
  | 'unexpected-shape';

/** No usable byrobot answer: the request may or may not have been carried out. */
export class ByrobotTransportError extends ByrobotError {
  readonly kind: TransportErrorKind;
  readonly status: number | null;
  /** From `Retry-After`, when the server sent one. */
  readonly retryAfterMs: number | null;
  constructor(
    kind: TransportErrorKind,
    endpoint: string,
    message: string,
    options: { status?: number | null; retryAfterMs?: number | null; cause?: unknown } = {},
  ) {
    super(`byrobot ${endpoint}: ${message}`, endpoint, { cause: options.cause });
    this.name = 'ByrobotTransportError';
    this.kind = kind;
    this.status = options.status ?? null;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** Builds the typed error for an envelope whose `code` is not 200. */
export function errorFromEnvelope(
  endpoint: string,
  code: number,
  resultMsg: string,
  requestId: string | null,
): ByrobotApiError {
  switch (code) {
    case 401:
    case 403:
      return new ByrobotAuthError(endpoint, code, resultMsg, requestId);
    case 404:
      return new ByrobotNotFoundError(endpoint, code, resultMsg, requestId);
    case 408:
      return new ByrobotClockSkewError(endpoint, code, resultMsg, requestId);
    case 412:
      return new ByrobotBadRequestError(endpoint, code, resultMsg, requestId);
    default:
      return new ByrobotApiError(endpoint, code, resultMsg, requestId);
  }
}

/** An import that failed part-way: `summary` counts the requests that were accepted before it. */
export class ByrobotImportError extends ByrobotError {
  readonly summary: ImportSummary;
  /** Index of the first customer of the failed request. */
  readonly failedAt: number;
  constructor(summary: ImportSummary, failedAt: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `import stopped at customer ${failedAt} after ${summary.requests} accepted request(s): ${reason}`,
      'v2/task/importTaskCustomer',
      { cause },
    );
    this.name = 'ByrobotImportError';
    this.summary = summary;
    this.failedAt = failedAt;
  }
}
