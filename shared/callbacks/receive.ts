import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DepsOf } from '../api/deps.ts';
import type { RouteDefinition } from '../api/route.ts';
import { HttpProblem } from '../http/problem.ts';
import type { ApiEvent, ApiResult } from '../http/types.ts';
import { maskPhonesInText } from '../imports/mask.ts';
import { type Parsed, parseCallback } from './parse.ts';
import { type CallbackMessage, MAX_QUEUED_BYTES } from './queue.ts';
import { RejectedCallbacks } from './rejected.ts';
import { checkCallbackSignature } from './signature.ts';

/*
 * `POST /byrobot/callback/{token}`: byrobot's push callbacks, every type on one route. The token
 * and the optional source-IP allowlist are checked by the middleware (shared/http/stack.ts, auth
 * `callback`). Durable first: a callback it understands is queued (SQS; the processor,
 * shared/callbacks/process.ts, turns it into events), one it does not is kept in DynamoDB for
 * inspection; either way the answer is the body `success` only once it is stored, and 503 when it
 * could not be (byrobot retries 27 times over 26 h 46 min). No byrobot call and no PutEvents here:
 * the answer comes well inside a second.
 */

/** byrobot counts a delivery as done only on this exact body. */
export const SUCCESS_BODY = 'success';

const success = (): ApiResult => ({
  statusCode: 200,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: SUCCESS_BODY,
});

const notStored = (cause: unknown) =>
  new HttpProblem(
    503,
    'callback-not-stored',
    'Service Unavailable',
    'the callback could not be stored; byrobot retries it',
    { headers: { 'retry-after': '10' }, cause },
  );

const errorText = (error: unknown) =>
  maskPhonesInText(String((error as Error)?.message ?? error)).slice(0, 300);

export function receiveCallback(deps: DepsOf<'receive-callback'>) {
  const rejected = new RejectedCallbacks(deps.doc, deps.tableName);
  return async (event: ApiEvent): Promise<ApiResult> => {
    const receivedAtMs = deps.now?.() ?? Date.now();
    const contentType = event.headers?.['content-type'] ?? null;
    const sourceIp = event.requestContext?.http?.sourceIp ?? null;
    const raw = event.rawBody;
    let parsed: Parsed = parseCallback(raw);
    if (parsed.ok && deps.callbacks?.signature) {
      const checked = checkCallbackSignature(parsed, await deps.callbacks.credentials(), receivedAtMs);
      if (!checked.ok) {
        deps.metrics.addMetric('CallbackSignatureRefused', MetricUnit.Count, 1);
        parsed = {
          ok: false,
          reason: `signature: ${checked.reason}`,
          dataType: parsed.callback.dataType,
          id: null,
        };
      }
    }
    let message: string | undefined;
    if (parsed.ok) {
      message = JSON.stringify({
        receivedAt: new Date(receivedAtMs).toISOString(),
        contentType,
        body: raw,
        sourceIp,
      } satisfies CallbackMessage);
      if (Buffer.byteLength(message, 'utf8') > MAX_QUEUED_BYTES)
        parsed = {
          ok: false,
          reason: `over the callback queue's ${MAX_QUEUED_BYTES} bytes (the reconciler reads the call)`,
          dataType: parsed.callback.dataType,
          id: null,
        };
    }
    if (parsed.ok && message) {
      try {
        await deps.callbackQueue.send([{ id: '0', body: message }]);
      } catch (error) {
        deps.logger.error('callback not queued; answered 503 so that byrobot retries', {
          dataType: parsed.callback.dataType,
          error: errorText(error),
        });
        deps.metrics.addMetric('CallbacksNotStored', MetricUnit.Count, 1);
        throw notStored(error);
      }
      deps.metrics.addMetric('CallbacksReceived', MetricUnit.Count, 1);
      return success();
    }
    if (parsed.ok) throw new Error('unreachable');
    try {
      await rejected.store({
        receivedAtMs,
        reason: maskPhonesInText(parsed.reason),
        contentType,
        dataType: parsed.dataType,
        callbackId: parsed.id,
        sourceIp,
        body: raw,
        uniqueId: event.requestContext?.requestId ?? String(receivedAtMs),
      });
    } catch (error) {
      deps.logger.error('unprocessable callback not stored; answered 503 so that byrobot retries', {
        error: errorText(error),
      });
      deps.metrics.addMetric('CallbacksNotStored', MetricUnit.Count, 1);
      throw notStored(error);
    }
    deps.logger.warn('unprocessable callback kept for inspection (docs/runbook.md)', {
      reason: maskPhonesInText(parsed.reason).slice(0, 300),
      dataType: parsed.dataType,
      contentType,
    });
    deps.metrics.addMetric('CallbacksUnprocessable', MetricUnit.Count, 1);
    return success();
  };
}

export const receiveCallbackRoute: RouteDefinition<'receive-callback'> = {
  name: 'receive-callback',
  run: receiveCallback,
};
