import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { CallCompletedSchema } from '../events/schemas.ts';
import { json } from '../http/types.ts';
import { type RouteName, routeRecord } from '../manifest.ts';
import { docsFile, docsPage } from './docs-page.ts';
import {
  CreateTaskResultSchema,
  CustomerRowSchema,
  ImportResultSchema,
  ProblemSchema,
  TaskActionResultSchema,
} from './response-schemas.ts';
import type { RouteDefinition } from './route.ts';
import { CreateTaskSchema, ImportRequestSchema } from './schemas.ts';

/** An operation's `security`, from its function's `auth` in shared/manifest.ts. */
const security = (name: RouteName): Record<string, string[]>[] => {
  const { auth } = routeRecord(name);
  if (auth === 'callback') return [{ callbackToken: [] }];
  return auth === 'none' ? [] : auth === 'webhook' ? [{ standardWebhooks: [] }] : [{ apiKey: [] }];
};

const schema = (s: v.GenericSchema) => {
  const { $schema: _drop, ...rest } = toJsonSchema(s, { errorMode: 'ignore' }) as Record<string, unknown>;
  return rest;
};
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const ok = (description: string, ref: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const pathParam = (name: string, description: string, type: 'integer' | 'string' = 'integer') => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: type === 'integer' ? { type, minimum: 1 } : { type },
});
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Retries with the same key get the first response back (records kept 80 h); the same key with another body is refused with 422.',
  schema: { type: 'string', maxLength: 255 },
};
/** Every authenticated route can answer these. */
const common = {
  '400': problem('Malformed request: bad JSON, bad path parameter'),
  '401': problem('Missing or invalid credentials (no hint which part failed)'),
  '403': problem('The API key lacks the scope or the company'),
  '404': problem('Unknown task, call or import — or one of a company the key may not act on'),
  '413': problem('Body over 6 MB'),
  '415': problem('Content-Type is not application/json'),
  '422': problem('A field broke a rule (each named in errors[]), or byrobot refused the parameters'),
  '500': problem('The bridge failed; nothing internal is exposed'),
  '502': problem('byrobot refused the bridge’s own credentials or clock: an operator must act'),
  '503': problem('byrobot is down or slow; retry after Retry-After seconds'),
};
const taskId = pathParam('taskId', 'byrobot task id (callJobId)');
const query = (name: string, description: string, type: 'integer' | 'string') => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type },
});
const okObject = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});
const action = (verb: string, summary: string) => ({
  post: {
    operationId: `${verb}Task`,
    summary,
    security: security('task-action'),
    parameters: [taskId, idempotencyKey],
    responses: {
      '200': ok(`The task ${verb === 'stop' ? 'stopped' : `${verb}ed`}`, 'TaskActionResult'),
      '409': problem('Same Idempotency-Key still in progress'),
      ...common,
    },
  },
});
const importOp = (
  name: 'import-customers' | 'webhook-customers',
  operationId: string,
  summary: string,
  extra: unknown[] = [],
) => ({
  post: {
    operationId,
    summary,
    security: security(name),
    parameters: [taskId, idempotencyKey, ...extra],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ImportRequest' } } },
    },
    responses: {
      '200': ok('Up to 1,000 valid rows: imported now, with counts and per-row outcomes', 'ImportResult'),
      '202': {
        ...ok('More rows: accepted, imported in chunks; follow Location', 'ImportResult'),
        headers: { Location: { schema: { type: 'string' }, description: '/imports/{importId}' } },
      },
      '409': problem('Same Idempotency-Key still in progress'),
      ...common,
    },
  },
});

/** The OpenAPI 3.1 document, built from the schemas the handlers validate with. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'byrobot-bridge HTTP API',
      version: '1.0.0',
      description:
        'Create byrobot calling tasks, import customers into them, and start, pause or stop them. Errors are RFC 9457 problem+json. See docs/api.md.',
    },
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer <API key>; keys are scoped to actions and companies',
        },
        callbackToken: {
          type: 'apiKey',
          in: 'header',
          name: 'x-callback-token-in-path',
          description:
            "byrobot's push callbacks carry no header of their own: the stage's callback token (Secrets Manager) is the {token} path segment, compared in constant time; optionally the source IP and byrobot's sign/dateTime are checked too (docs/api.md, \"Push callbacks\"). No header is read.",
        },
        standardWebhooks: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description:
            'Standard Webhooks: webhook-id, webhook-timestamp (±300 s) and webhook-signature (v1,<base64 HMAC-SHA256>) over the raw body',
        },
      },
      schemas: {
        CreateTask: schema(CreateTaskSchema),
        CreateTaskResult: schema(CreateTaskResultSchema),
        TaskActionResult: schema(TaskActionResultSchema),
        ImportRequest: {
          ...schema(ImportRequestSchema),
          properties: {
            ...(schema(ImportRequestSchema).properties as object),
            customers: { type: 'array', minItems: 1, maxItems: 100000, items: schema(CustomerRowSchema) },
          },
        },
        ImportResult: schema(ImportResultSchema),
        Call: schema(CallCompletedSchema),
        Problem: schema(ProblemSchema),
      },
    },
    paths: {
      '/tasks': {
        post: {
          operationId: 'createTask',
          summary: 'Create a calling task',
          security: security('create-task'),
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateTask' } } },
          },
          responses: {
            '201': ok('Created', 'CreateTaskResult'),
            '409': problem('Same Idempotency-Key still in progress'),
            ...common,
          },
        },
        get: {
          operationId: 'listTasks',
          summary: 'One page of a company’s tasks, filtered by status and name',
          security: security('list-tasks'),
          parameters: [
            query('companyId', 'the company (optional for a key of one company)', 'integer'),
            query(
              'status',
              'a task status code (0 not started, 1 running, 2 completed, 4 paused, …)',
              'integer',
            ),
            query('name', 'byrobot’s task name filter', 'string'),
            query('pageNum', 'from 1', 'integer'),
            query('pageSize', '1 to 100, default 20', 'integer'),
          ],
          responses: {
            '200': okObject('A page of tasks: { companyId, pageNum, pageSize, total, pages, tasks }'),
            ...common,
          },
        },
      },
      '/tasks/{taskId}': {
        get: {
          operationId: 'getTask',
          summary: 'One task: status, counts, progress and statistics',
          security: security('get-task'),
          parameters: [taskId],
          responses: { '200': okObject('The task'), ...common },
        },
      },
      '/tasks/{taskId}/calls': {
        get: {
          operationId: 'listTaskCalls',
          summary: 'A task’s finished calls, newest first, filtered as `calls list` filters them',
          security: security('list-task-calls'),
          parameters: [
            taskId,
            query('finishStatus', 'a finish status code (0 answered, …)', 'integer'),
            query('intent', 'intent letters, e.g. A,B', 'string'),
            query('minDuration', 'seconds', 'integer'),
            query('maxDuration', 'seconds', 'integer'),
            query('limit', '1 to 100, default 50', 'integer'),
            query('cursor', 'the nextCursor of the page before', 'string'),
          ],
          responses: { '200': okObject('{ taskId, companyId, calls, nextCursor }'), ...common },
        },
      },
      '/tasks/{taskId}/start': action('start', 'Start a task'),
      '/tasks/{taskId}/pause': action('pause', 'Pause a task'),
      '/tasks/{taskId}/stop': action('stop', 'Stop (terminate) a task'),
      '/tasks/{taskId}/customers': importOp(
        'import-customers',
        'importCustomers',
        'Import customers into a task',
      ),
      '/webhooks/{source}/tasks/{taskId}/customers': importOp(
        'webhook-customers',
        'importCustomersWebhook',
        'Import customers from a CRM webhook (Standard Webhooks; the source’s field mapping applies)',
        [pathParam('source', 'the webhook source name from configuration', 'string')],
      ),
      '/imports/{importId}': {
        get: {
          operationId: 'getImport',
          summary: 'An import’s progress and per-row outcomes',
          security: security('get-import'),
          parameters: [pathParam('importId', 'imp_…', 'string')],
          responses: {
            '200': {
              description: 'The import',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...common,
          },
        },
      },
      '/calls/{callInstanceId}': {
        get: {
          operationId: 'getCall',
          summary: 'One call, normalised as Call Completed events carry it',
          security: security('get-call'),
          parameters: [pathParam('callInstanceId', 'byrobot call instance id')],
          responses: { '200': ok('The call', 'Call'), ...common },
        },
      },
      '/deliveries': {
        get: {
          operationId: 'getDeliveries',
          summary:
            'The delivery log: one event’s deliveries and attempts (eventId), or a day’s deliveries (date)',
          security: security('get-deliveries'),
          parameters: [
            {
              name: 'eventId',
              in: 'query',
              required: false,
              description: 'the event’s detail.eventId',
              schema: { type: 'string' },
            },
            {
              name: 'date',
              in: 'query',
              required: false,
              description: 'YYYY-MM-DD (UTC), default today',
              schema: { type: 'string', format: 'date' },
            },
            {
              name: 'limit',
              in: 'query',
              required: false,
              description: '1 to 500, default 100',
              schema: { type: 'integer', minimum: 1, maximum: 500 },
            },
          ],
          responses: {
            '200': {
              description: 'Deliveries, each with its attempts',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...common,
          },
        },
      },
      '/deliveries/replay': {
        post: {
          operationId: 'replayDelivery',
          summary:
            'Deliver a logged event again, with the same webhook-id, to one destination or all it went to',
          security: security('delivery-action'),
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['eventId'],
                  properties: { eventId: { type: 'string' }, destination: { type: 'string' } },
                  additionalProperties: false,
                },
              },
            },
          },
          responses: { '202': { description: 'Queued again' }, ...common },
        },
      },
      '/destinations/{destination}/resume': {
        post: {
          operationId: 'resumeDestination',
          summary: 'Unpause a destination and redrive its dead-letter queue (body: {})',
          security: security('delivery-action'),
          parameters: [pathParam('destination', '<rule>-<kind>, e.g. hot-leads-chat-dingtalk', 'string')],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '200': { description: 'Resumed' }, ...common },
        },
      },
      '/byrobot/callback/{token}': {
        post: {
          operationId: 'receiveCallback',
          summary: "byrobot's push callbacks: call records, intent changes, task status, inbound calls",
          description:
            "byrobot's envelope {code, data: {dataType, data}} as application/json or text/plain (both UTF-8; no Content-Type also works). Answered with the text `success` once the callback is stored (queued for processing, or kept for inspection when it cannot be understood); 503 when it could not be stored, which byrobot retries.",
          security: security('receive-callback'),
          parameters: [pathParam('token', "the stage's callback token (never logged)", 'string')],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { type: 'object' } },
              'text/plain': { schema: { type: 'string', description: 'the same JSON, as text' } },
            },
          },
          responses: {
            '200': {
              description: 'Stored: the body is exactly `success`',
              content: { 'text/plain': { schema: { type: 'string', enum: ['success'] } } },
            },
            ...common,
            '401': problem('Wrong or missing callback token: nothing was stored'),
            '403': problem("The source IP is not in the stage's callback allowlist"),
            '503': problem('The callback could not be stored (queue or table unavailable); byrobot retries'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          security: security('openapi'),
          responses: { '200': { description: 'OpenAPI 3.1' } },
        },
      },
      '/docs': {
        get: {
          operationId: 'docs',
          summary:
            'This reference page: Swagger UI over /openapi.json, every file served by this API (no CDN)',
          security: security('openapi'),
          responses: { '200': { description: 'HTML', content: { 'text/html': {} } } },
        },
      },
      '/docs/{file}': {
        get: {
          operationId: 'docsFile',
          summary:
            "The reference page's files: swagger-ui-bundle.js, swagger-ui.css, init.js, LICENSE, NOTICE",
          security: security('openapi'),
          parameters: [pathParam('file', 'a file name, e.g. swagger-ui.css', 'string')],
          responses: {
            '200': { description: 'The file (gzip when accepted)' },
            '404': problem('No such file'),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          summary: 'Liveness',
          security: security('health'),
          responses: { '200': { description: 'ok' }, '500': problem('Configuration does not load') },
        },
      },
    },
  };
}

/** GET /openapi.json, and the reference page rendered from it: GET /docs and its files (docs-page.ts). */
export const openApiRoute: RouteDefinition<'openapi'> = {
  name: 'openapi',
  run: () => async (event) => {
    if (event.routeKey === 'GET /docs') return docsPage();
    if (event.routeKey === 'GET /docs/{file}') return docsFile(event);
    return json(200, openApiDocument());
  },
};
