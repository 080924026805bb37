import { isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { guarded, listen, readBody, requestTarget } from '../../dev/listen.ts';
import type { AllDeps } from '../../shared/api/deps.ts';
import type { ApiResult } from '../../shared/http/types.ts';
import { API_ROUTES, type RouteName } from '../../shared/manifest.ts';
import { httpEvent } from './events.ts';
import { routeHandler } from './handlers.ts';
import { inInvocation } from './invocation.ts';

type CompiledRoute = (typeof API_ROUTES)[number] & { pattern: RegExp; params: string[] };

/** `/tasks/{taskId}/start` → a regex with one group per parameter, as API Gateway matches them. */
function compile(route: (typeof API_ROUTES)[number]): CompiledRoute {
  const params: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { ...route, pattern: new RegExp(`^${source}$`), params };
}

/** API Gateway's own payload limit; the route's middleware applies its own below it. */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  // A length, not chunks: a client still uploading knows the answer is whole and can stop.
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
};

/** A charset other than UTF-8 is declared: the handler needs the bytes, as API Gateway's base64. */
function needsBytes(contentType: string | undefined, body: Buffer): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return true;
  return !isUtf8(body);
}

/**
 * The local stand-in for API Gateway: it turns each HTTP request into a payload v2 event and hands
 * it to the same handler, with the same middy stack, that the route's Lambda runs on AWS. No request
 * ends the process: a target `new URL` refuses, a bad %-escape, a body over 6 MB (refused as it
 * streams in, never buffered whole) or a client gone mid-upload each get a 4xx or a closed socket.
 */
export async function startApiServer(options: { deps: AllDeps; port?: number; host?: string }) {
  const routes = API_ROUTES.map(compile);
  const handlers = new Map<RouteName, ReturnType<typeof routeHandler>>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestTarget(req.url);
    if (!url) return problem(res, 400, 'Bad Request', 'the request target is not a path or an http URL');
    let match: { route: CompiledRoute; values: string[] } | undefined;
    for (const route of routes) {
      const m = route.method === req.method ? route.pattern.exec(url.pathname) : null;
      if (m) {
        match = { route, values: m.slice(1) };
        break;
      }
    }
    if (!match) return problem(res, 404, 'Not Found', `no route ${req.method} ${url.pathname.slice(0, 200)}`);
    const { route } = match;
    let values: string[];
    try {
      values = match.values.map(decodeURIComponent);
    } catch {
      return problem(res, 400, 'Bad Request', 'a path parameter has a malformed %-escape');
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (!handlers.has(route.fn)) handlers.set(route.fn, routeHandler(route.fn, options.deps));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const binary = body.length > 0 && needsBytes(req.headers['content-type'], body);
    const event = httpEvent({
      method: req.method ?? 'GET',
      path: url.pathname,
      routeKey: `${route.method} ${route.path}`,
      pathParameters: Object.fromEntries(route.params.map((p, i) => [p, values[i]!])),
      headers,
      body: body.length > 0 ? body.toString(binary ? 'base64' : 'utf8') : undefined,
    });
    event.isBase64Encoded = binary;
    event.rawQueryString = url.search.slice(1);
    // As API Gateway does: repeated names joined with commas.
    if (url.search) {
      const query: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(url.search)) query[k] = k in query ? `${query[k]},${v}` : v;
      event.queryStringParameters = query;
    }
    const result = (await inInvocation(route.fn, (context) =>
      handlers.get(route.fn)!(event, context),
    )) as ApiResult;
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    // As API Gateway does: a base64 body (a gzipped file) is sent as its bytes.
    res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
  };
  // The middy stack turns every error into a response; what reaches `guarded` is the body reader's
  // (413, a dropped client) or a bug of the server itself.
  const server = createServer(
    guarded(handle, (res, status, detail) => problem(res, status, TITLES[status] ?? 'Error', detail)),
  );
  return listen(server, options);
}
