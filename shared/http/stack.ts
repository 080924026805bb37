import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { tokenMatches } from '../callbacks/token.ts';
import type { ApiKeyConfig, Scope, WebhookSourceConfig } from '../config/api.ts';
import { maskPhonesInText } from '../imports/mask.ts';
import { findApiKey, type Principal, verifyWebhook } from './auth.ts';
import { problemFromByrobot } from './byrobot-errors.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { HttpProblem, problemResponse, problems } from './problem.ts';
import type { ApiEvent, ApiResult, RouteHandler } from './types.ts';

export interface HttpDeps {
  logger: Logger;
  metrics: Metrics;
  apiKeys: () => Promise<ApiKeyConfig[]>;
  webhookSources: () => Promise<WebhookSourceConfig[]>;
  idempotency: IdempotencyStore;
  /** byrobot's push callbacks (auth `callback`): absent, every callback is refused 401. */
  callbacks?: CallbackAuth;
  now?: () => number;
}

/** How the callback route authenticates byrobot (shared/callbacks/token.ts, docs/api.md). */
export interface CallbackAuth {
  /** The stage's token (Secrets Manager, read again after 60 s); absent, every callback is refused. */
  token?: () => Promise<string>;
  /** Source IPs byrobot may call from (requestContext.http.sourceIp); empty: any. */
  sourceIps: readonly string[];
  /** Check byrobot's `sign`/`dateTime` (shared/callbacks/signature.ts). */
  signature: boolean;
  /** The app key and secret the signature is assumed to use. */
  credentials: () => Promise<{ appKey: string; appSecret: string }>;
}

export interface RouteOptions {
  /** For logs and metrics. */
  name: string;
  /** The scope an API key needs; null: no authentication (health, the OpenAPI document). */
  scope: Scope | null;
  /** The route takes a JSON body. */
  body?: boolean;
  /** @default 6 MB, API Gateway's own limit */
  maxBodyBytes?: number;
  /** Honour `Idempotency-Key` (and `webhook-id`): a retry returns the first response. */
  idempotent?: boolean;
  /** Authenticate with the Standard Webhooks signature of the `{source}` path parameter's source. */
  webhook?: boolean;
  /** Authenticate byrobot's push callbacks: the `{token}` path parameter (and the source IP). */
  callback?: boolean;
}

/** As configuration requires of a webhook source's name (shared/config/api.ts). */
const WEBHOOK_SOURCE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

const header = (event: APIGatewayProxyEventV2, name: string) => event.headers?.[name] ?? undefined;
const nowMs = (deps: HttpDeps) => deps.now?.() ?? Date.now();

/** The problem an error is answered with. */
const asProblem = (error: unknown): HttpProblem =>
  error instanceof HttpProblem ? error : (problemFromByrobot(error) ?? problems.internal(error));

/** Turns any error into a problem+json response; a 500 tells the caller nothing internal. */
function errors(deps: HttpDeps, options: RouteOptions): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      // byrobot's refusals are counted per attempt where the client is made (ByrobotErrors,
      // shared/observability/byrobot-metrics.ts), not here: that also covers the import worker.
      const error = request.error;
      const problem = asProblem(error);
      if (problem.status >= 500) {
        deps.logger.error('request failed', {
          route: options.name,
          status: problem.status,
          error: maskPhonesInText(String((error as Error)?.stack ?? error)),
        });
      } else {
        deps.logger.info('request refused', {
          route: options.name,
          status: problem.status,
          detail: maskPhonesInText(problem.message),
        });
      }
      deps.metrics.addMetric(problem.status >= 500 ? 'Api5xx' : 'Api4xx', MetricUnit.Count, 1);
      request.response = problemResponse(problem, request.event?.requestContext?.requestId);
    },
  };
}

/**
 * The charsets a body may declare: UTF-8, and GBK/GB18030 that Chinese CRMs send (GB18030 is a
 * superset of GBK and GB2312, and Node's full-ICU TextDecoder decodes it). Any other is refused
 * with 415 rather than decoded as UTF-8 into U+FFFD.
 */
const CHARSETS: Record<string, string> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  gbk: 'gb18030',
  gb2312: 'gb18030',
  gb18030: 'gb18030',
};

/** The body's text in its declared charset; bytes that are not that charset are a 400. */
function decodeBody(event: ApiEvent, contentType: string): string {
  if (!event.body) return '';
  const declared = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  const charset = declared === undefined ? 'utf-8' : CHARSETS[declared];
  if (!charset) {
    throw problems.unsupportedMediaType(
      `charset "${declared?.slice(0, 40)}" is not supported; send UTF-8, GBK or GB18030`,
    );
  }
  // Text API Gateway passed as a string was already read as UTF-8; only bytes (base64) can be
  // decoded in another charset.
  if (!event.isBase64Encoded) return event.body;
  try {
    return new TextDecoder(charset, { fatal: true }).decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw problems.badRequest(`the body is not valid ${declared ?? 'UTF-8'}`, [
      { field: 'body', rule: 'charset', message: `not valid ${declared ?? 'UTF-8'}` },
    ]);
  }
}

/** Content type, charset, size, base64 and JSON; the raw text is kept for signatures and idempotency. */
function body(options: RouteOptions): MiddlewareObj<ApiEvent, ApiResult> {
  const max = options.maxBodyBytes ?? 6 * 1024 * 1024;
  return {
    before: async ({ event }) => {
      event.rawBody = '';
      event.jsonBody = undefined;
      if (!options.body) {
        event.rawBody = event.body
          ? event.isBase64Encoded
            ? Buffer.from(event.body, 'base64').toString('utf8')
            : event.body
          : '';
        return;
      }
      const size = event.body
        ? event.isBase64Encoded
          ? Buffer.byteLength(event.body, 'base64')
          : Buffer.byteLength(event.body, 'utf8')
        : 0;
      if (size > max) throw problems.tooLarge(`the body is over ${max} bytes`);
      const type = header(event, 'content-type') ?? '';
      if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
        throw problems.unsupportedMediaType(
          `send Content-Type: application/json (got ${type ? `"${type.slice(0, 80)}"` : 'none'})`,
        );
      }
      const text = decodeBody(event, type);
      event.rawBody = text;
      if (text.trim() === '') throw problems.badRequest('the body is empty; a JSON object is required');
      try {
        event.jsonBody = JSON.parse(text);
      } catch (error) {
        throw problems.badRequest(`the body is not valid JSON: ${(error as Error).message}`, [
          { field: 'body', rule: 'json', message: 'not valid JSON' },
        ]);
      }
    },
  };
}

/** API keys (hash, scopes, companies) or a Standard Webhooks signature. Failures say nothing more than 401. */
function authenticate(deps: HttpDeps, options: RouteOptions): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    before: async ({ event }) => {
      if (options.callback) {
        const token = deps.callbacks?.token;
        if (!token)
          deps.logger.error('no callback token is configured: every callback is refused', {
            route: options.name,
          });
        // Never logged: the token is the credential (infra/stack.ts keeps the path out of access logs).
        if (!token || !tokenMatches(event.pathParameters?.token, await token())) {
          deps.metrics.addMetric('CallbackAuthFailures', MetricUnit.Count, 1);
          throw problems.unauthorized();
        }
        const allowed = deps.callbacks?.sourceIps ?? [];
        const ip = event.requestContext?.http?.sourceIp ?? '';
        if (allowed.length > 0 && !allowed.includes(ip)) {
          deps.metrics.addMetric('CallbackSourceRefused', MetricUnit.Count, 1);
          throw problems.forbidden(`source IP ${ip.slice(0, 45)} is not in the stage's callback allowlist`);
        }
        event.principal = { kind: 'callback', id: 'byrobot-callback', scopes: [], companies: '*' };
        return;
      }
      if (options.scope === null) {
        event.principal = { kind: 'api-key', id: 'anonymous', scopes: [], companies: [] };
        return;
      }
      if (options.webhook) {
        const name = event.pathParameters?.source ?? '';
        // A malformed name is the caller's typo, not a credential question: say so (names are not secret).
        if (!WEBHOOK_SOURCE_NAME.test(name)) {
          throw problems.badRequest('path parameter source is not a webhook source name', [
            { field: 'path.source', rule: 'format', message: 'lowercase letters, digits and dashes' },
          ]);
        }
        const source = (await deps.webhookSources()).find((s) => s.name === name);
        const nowSeconds = Math.floor(nowMs(deps) / 1000);
        const ok =
          source !== undefined &&
          verifyWebhook(
            {
              id: header(event, 'webhook-id'),
              timestamp: header(event, 'webhook-timestamp'),
              signature: header(event, 'webhook-signature'),
            },
            event.rawBody,
            source.secrets,
            nowSeconds,
          );
        if (!ok || !source) throw problems.unauthorized();
        event.principal = {
          kind: 'webhook',
          id: `webhook:${source.name}`,
          scopes: ['import'],
          companies: source.companies,
          source,
        } satisfies Principal;
        return;
      }
      const key = findApiKey(header(event, 'authorization'), await deps.apiKeys());
      if (!key) throw problems.unauthorized();
      if (!key.scopes.includes(options.scope))
        throw problems.forbidden(`this API key lacks the "${options.scope}" scope`);
      event.principal = {
        kind: 'api-key',
        id: `key:${key.id}`,
        scopes: key.scopes,
        companies: key.companies,
      };
    },
  };
}

/** A retried request (same Idempotency-Key or webhook-id) gets the first response back. */
function idempotency(deps: HttpDeps, options: RouteOptions): MiddlewareObj<ApiEvent, ApiResult> {
  const state = new WeakMap<object, { scope: string; key: string; hash: string }>();
  return {
    before: async (request) => {
      const { event } = request;
      const key =
        header(event, 'idempotency-key') ?? (options.webhook ? header(event, 'webhook-id') : undefined);
      if (!options.idempotent || !key) return;
      if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
        throw problems.badRequest('Idempotency-Key must be 1–255 visible ASCII characters', [
          { field: 'header.idempotency-key', rule: 'format', message: '1–255 visible ASCII characters' },
        ]);
      }
      const scope = `${event.principal.id}:${options.name}`;
      const hash = createHash('sha256')
        .update(`${event.requestContext.http.method} ${event.rawPath}\n${event.rawBody}`)
        .digest('hex');
      const begun = await deps.idempotency.begin(scope, key, hash, nowMs(deps));
      if (begun.kind === 'mismatch')
        throw problems.unprocessable(
          'this Idempotency-Key was used with a different request; use a new key',
          [
            {
              field: 'header.idempotency-key',
              rule: 'reused',
              message: 'used before with a different request',
            },
          ],
        );
      if (begun.kind === 'in-progress')
        throw problems.conflict('a request with this Idempotency-Key is still in progress; retry shortly');
      if (begun.kind === 'replay') {
        request.response = {
          ...begun.response,
          headers: { ...begun.response.headers, 'idempotent-replayed': 'true' },
        };
        return request.response;
      }
      state.set(request.context, { scope, key, hash });
    },
    after: async (request) => {
      const s = state.get(request.context);
      if (!s || !request.response) return;
      const status = request.response.statusCode ?? 200;
      try {
        if (status < 500)
          await deps.idempotency.complete(s.scope, s.key, s.hash, request.response, nowMs(deps));
        else await deps.idempotency.abandon(s.scope, s.key);
      } catch (error) {
        // The work is done (byrobot imported the rows): failing to remember the answer must not turn
        // it into an error. The key is freed; a retry runs again and byrobot counts repeats.
        deps.logger.error('idempotency record not written; the answer stands', {
          route: options.name,
          error: maskPhonesInText(String((error as Error)?.message ?? error)),
        });
        deps.metrics.addMetric('IdempotencyRecordFailed', MetricUnit.Count, 1);
        await deps.idempotency.abandon(s.scope, s.key).catch(() => undefined);
      }
    },
    // As Stripe does: once the route's logic ran, its 4xx answer is the key's answer (a retry of a
    // start byrobot refused gets the refusal again, without asking byrobot again); a 5xx frees the key
    // so that the retry runs anew. Refusals before the logic (auth, body, a reused key) keep no record.
    onError: async (request) => {
      const s = state.get(request.context);
      if (!s) return;
      const problem = asProblem(request.error);
      if (problem.status < 500) {
        const response = problemResponse(problem, request.event?.requestContext?.requestId);
        await deps.idempotency
          .complete(s.scope, s.key, s.hash, response, nowMs(deps))
          .catch(() => deps.idempotency.abandon(s.scope, s.key))
          .catch(() => undefined);
      } else await deps.idempotency.abandon(s.scope, s.key).catch(() => undefined);
    },
  };
}

/**
 * Time kept back before the function's timeout to answer when its logic has not finished (a byrobot
 * import can take minutes to answer): middy's own early timeout, so the caller gets a 503 it can read
 * and the Idempotency-Key is freed, where a Lambda cut off at its timeout answers nothing of ours and
 * leaves the key in progress for IN_PROGRESS_SECONDS.
 */
export const ROUTE_DEADLINE_RESERVE_MS = 1500;

const outOfTime = () =>
  problems.unavailable(
    'the request ran out of time waiting for byrobot; what it asked of byrobot may still take effect ' +
      'there, so read the task (or the import) before sending it again',
    30,
  );

/** The middy stack every route shares. */
export function createRoute(deps: HttpDeps, options: RouteOptions, handler: RouteHandler) {
  return middy<ApiEvent, ApiResult, Error, Context>({
    timeoutEarlyInMillis: ROUTE_DEADLINE_RESERVE_MS,
    timeoutEarlyResponse: () => {
      throw outOfTime();
    },
  })
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(deps.metrics))
    .use(errors(deps, options))
    .use({
      before: async ({ event }) => {
        deps.logger.appendKeys({ route: options.name, requestId: event.requestContext?.requestId });
        deps.metrics.addMetric('ApiRequests', MetricUnit.Count, 1);
      },
    })
    .use(body(options))
    .use(authenticate(deps, options))
    .use(idempotency(deps, options))
    .handler((event, context, { signal }) => handler(Object.assign(event, { deadline: signal }), context));
}
