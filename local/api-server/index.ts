import { createServer } from 'node:http';
import { listen } from '../../dev/listen.ts';
import type { AllDeps } from '../../shared/api/deps.ts';
import type { ApiResult } from '../../shared/http/types.ts';
import { API_ROUTES, type RouteName } from '../../shared/manifest.ts';
import { httpEvent, lambdaContext } from './events.ts';
import { routeHandler } from './handlers.ts';

interface CompiledRoute {
  method: string;
  template: string;
  fn: RouteName;
  pattern: RegExp;
  params: string[];
}

/** `/tasks/{taskId}/start` → a regex with one group per parameter, as API Gateway matches them. */
function compile(route: (typeof API_ROUTES)[number]): CompiledRoute {
  const params: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return {
    method: route.method,
    template: route.path,
    fn: route.fn,
    pattern: new RegExp(`^${source}$`),
    params,
  };
}

/**
 * The local stand-in for API Gateway: it turns each HTTP request into a payload v2 event and hands
 * it to the same handler, with the same middy stack, that the route's Lambda runs on AWS.
 */
export async function startApiServer(options: { deps: AllDeps; port?: number; host?: string }) {
  const routes = API_ROUTES.map(compile);
  const handlers = new Map<RouteName, ReturnType<typeof routeHandler>>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let match: { route: CompiledRoute; values: string[] } | undefined;
    for (const route of routes) {
      const m = route.method === req.method ? route.pattern.exec(url.pathname) : null;
      if (m) {
        match = { route, values: m.slice(1).map(decodeURIComponent) };
        break;
      }
    }
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: `no route ${req.method} ${url.pathname}`,
        }),
      );
      return;
    }
    const { route, values } = match;
    if (!handlers.has(route.fn)) handlers.set(route.fn, routeHandler(route.fn, options.deps));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const event = httpEvent({
      method: req.method ?? 'GET',
      path: url.pathname,
      routeKey: `${route.method} ${route.template}`,
      pathParameters: Object.fromEntries(route.params.map((p, i) => [p, values[i]!])),
      headers,
      body: body.length > 0 ? body.toString('utf8') : undefined,
    });
    event.rawQueryString = url.search.slice(1);
    // As API Gateway does: repeated names joined with commas.
    if (url.search) {
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
      event.queryStringParameters = query;
    }
    try {
      const result = (await handlers.get(route.fn)!(event, lambdaContext(route.fn))) as ApiResult;
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      res.end(result.body ?? '');
    } catch {
      // The middy stack turns every error into a response; reaching here is a bug in the stack itself.
      res.writeHead(500, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
    }
  });
  return listen(server, options);
}
