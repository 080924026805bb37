import {
  ByrobotApiError,
  ByrobotAuthError,
  ByrobotBadRequestError,
  ByrobotClockSkewError,
  ByrobotImportError,
  ByrobotInputError,
  ByrobotNotFoundError,
  ByrobotTransportError,
} from '../byrobot/errors.ts';
import { type HttpProblem, problems } from './problem.ts';

/**
 * byrobot's answers as honest HTTP statuses for our callers: their input's fault is 4xx, our
 * credentials or clock being refused is 502 (an operator must act), byrobot down or slow is 503
 * with Retry-After (the caller should retry).
 */
export function problemFromByrobot(error: unknown): HttpProblem | null {
  const cause = error instanceof ByrobotImportError ? error.cause : error;
  if (cause instanceof ByrobotInputError) {
    return problems.badRequest(cause.message, [
      { field: `body.${cause.field}`, rule: 'required', message: cause.message },
    ]);
  }
  if (cause instanceof ByrobotNotFoundError) return problems.notFound('task or call not found');
  if (cause instanceof ByrobotBadRequestError) {
    return problems.unprocessable(`byrobot refused the request: ${cause.resultMsg}`);
  }
  if (cause instanceof ByrobotClockSkewError) {
    return problems.badGateway(
      'byrobot refused the bridge’s request time (code 408): the operator must sync the server clock',
      cause,
    );
  }
  if (cause instanceof ByrobotAuthError) {
    return cause.code === 403
      ? problems.badGateway(
          'byrobot denied the bridge’s app key permission for this company (code 403): the operator must check which companies the byrobot app key manages',
          cause,
        )
      : problems.badGateway(
          'byrobot refused the bridge’s credentials (code 401): the operator must check the byrobot app key and secret',
          cause,
        );
  }
  if (cause instanceof ByrobotApiError) {
    return cause.code === 500
      ? problems.unavailable('byrobot reported an internal error; retry later', 30, cause)
      : problems.badGateway(`byrobot answered an unexpected code ${cause.code}`, cause);
  }
  if (cause instanceof ByrobotTransportError) {
    // A body cut short ('invalid-json') is transport trouble like a timeout: retry later (503).
    if (cause.kind === 'invalid-envelope' || cause.kind === 'unexpected-shape') {
      return problems.badGateway('byrobot answered with a response the bridge cannot read', cause);
    }
    const retryAfter = Math.max(1, Math.ceil((cause.retryAfterMs ?? 30_000) / 1000));
    return problems.unavailable(`byrobot is unavailable (${cause.kind}); retry later`, retryAfter, cause);
  }
  return null;
}
