import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { problems } from '../http/problem.ts';
import type { ApiResult } from '../http/types.ts';

/*
 * GET /docs: the API's reference page, rendered in the browser by Swagger UI (swagger-ui-dist) from
 * this API's own GET /openapi.json. Every file the page loads is served by this route (GET
 * /docs/{file}), none from a CDN: the page works where the API works, offline included. "Try it out"
 * calls the origin the page was loaded from (the document's `servers` is replaced by it), so the
 * local stack's page tries the local stack and a stage's page its stage, with no CORS.
 *
 * On AWS the renderer's files are in the function's asset beside index.mjs (infra/functions.ts,
 * FUNCTION_FILES); locally they are read from node_modules. They are read on the first request for
 * each, not at cold start, so GET /openapi.json (same function) loads no more than it did.
 */

/** The renderer's directory in the function's asset (infra/functions.ts copies it there). */
export const RENDERER_DIR = 'swagger-ui';
/** The files of swagger-ui-dist the page loads, and the license they come with. */
export const RENDERER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE'] as const;

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * The page's own start-up script (a file, not inline, so the page's CSP allows scripts from 'self'
 * only): load the document, point "Try it out" at this origin, render.
 */
const INIT_JS = `(() => {
  // /docs → the API's base: the origin, plus a stage path when API Gateway serves one
  const base = new URL('.', location.href);
  fetch(new URL('openapi.json', base))
    .then((r) => r.json())
    .then((spec) => {
      spec.servers = [{ url: base.href.replace(/\\/$/, ''), description: 'this API: the origin this page was loaded from' }];
      window.ui = SwaggerUIBundle({
        spec,
        dom_id: '#swagger-ui',
        deepLinking: true,
        // no call to validator.swagger.io: the page needs nothing but this API
        validatorUrl: null,
        displayOperationId: false,
        docExpansion: 'list',
      });
    });
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>byrobot-bridge API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
`;

/** Scripts, styles and calls from this origin only: the proof, in the browser, that no CDN is used. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

function rendererPath(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const inAsset = join(here, RENDERER_DIR, name);
  if (existsSync(inAsset)) return inAsset;
  return createRequire(import.meta.url).resolve(`swagger-ui-dist/${name}`);
}

interface Served {
  type: string;
  body: Buffer;
  gzipped?: Buffer;
}
const served = new Map<string, Served>();

function file(name: string): Served | undefined {
  const known = served.get(name);
  if (known) return known;
  let out: Served;
  if (name === 'init.js') out = { type: TYPES.js!, body: Buffer.from(INIT_JS) };
  else if ((RENDERER_FILES as readonly string[]).includes(name))
    out = {
      type: TYPES[name.split('.').pop() ?? ''] ?? 'text/plain; charset=utf-8',
      body: readFileSync(rendererPath(name)),
    };
  else return undefined;
  served.set(name, out);
  return out;
}

/** The body, gzipped when the caller takes it (API Gateway's HTTP API does not compress). */
function send(event: APIGatewayProxyEventV2, f: Served, headers: Record<string, string>): ApiResult {
  const accepts = /\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '');
  if (accepts && f.body.length > 1024) {
    f.gzipped ??= gzipSync(f.body);
    return {
      statusCode: 200,
      headers: { 'content-type': f.type, 'content-encoding': 'gzip', vary: 'accept-encoding', ...headers },
      body: f.gzipped.toString('base64'),
      isBase64Encoded: true,
    };
  }
  return { statusCode: 200, headers: { 'content-type': f.type, ...headers }, body: f.body.toString('utf8') };
}

export function docsPage(): ApiResult {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'cache-control': 'no-cache',
    },
    body: PAGE,
  };
}

/** GET /docs/{file}: the renderer's files and the page's script; anything else is 404. */
export function docsFile(event: APIGatewayProxyEventV2): ApiResult {
  const name = event.pathParameters?.file ?? '';
  const f = file(name);
  if (!f)
    throw problems.notFound(`no such file: /docs/${name} (${['init.js', ...RENDERER_FILES].join(', ')})`);
  // The renderer's version is pinned in package.json: an hour's cache, revalidated after a deploy.
  return send(event, f, { 'cache-control': 'public, max-age=3600' });
}
