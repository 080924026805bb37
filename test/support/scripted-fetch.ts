/**
 * A scripted fake transport for the byrobot client's unit tests: each call takes the next scripted
 * answer and records the request, so a test can assert the exact request sequence. Integration tests
 * use the real simulator over HTTP instead.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

export type Scripted =
  | { envelope: { code: number; data?: unknown; resultMsg?: string; requestId?: string } }
  | { status: number; body: string; headers?: Record<string, string> }
  | { networkError: string }
  | { hang: true };

export function scriptedFetch(script: Scripted[]) {
  const requests: RecordedRequest[] = [];
  const queue = [...script];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    requests.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const next = queue.shift();
    if (!next) throw new Error(`unscripted request ${url.pathname}`);
    if ('networkError' in next) throw new TypeError('fetch failed', { cause: new Error(next.networkError) });
    if ('hang' in next) {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
      });
    }
    if ('envelope' in next)
      return Response.json({ resultMsg: '', errorStackTrace: null, data: null, ...next.envelope });
    return new Response(next.body, { status: next.status, headers: next.headers });
  }) as typeof fetch;
  return { fetch: fetchImpl, requests, remaining: () => queue.length };
}
