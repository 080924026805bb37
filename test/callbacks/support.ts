import { readFileSync } from 'node:fs';
import { startApiServer } from '../../local/api-server/index.ts';
import { LOCAL_CALLBACK_TOKEN } from '../../shared/callbacks/token.ts';
import { type ApiStack, startApiStack } from '../support/api-stack.ts';
import { compileEventSchema } from '../support/json-schema.ts';
import { until } from '../support/processes.ts';

export const JSON_TYPE = 'application/json;charset=utf-8';
export const TEXT_TYPE = 'text/plain;charset=utf-8';

/** byrobot's documented sample bodies (reference/byrobot-docs/callback.md), JSON slips mended. */
export const fixture = (name: 'call-record' | 'intent-change' | 'task-status' | 'inbound-call') =>
  readFileSync(new URL(`../fixtures/callbacks/${name}.json`, import.meta.url), 'utf8');

/** The detail schema of a detail type, as docs/events/<slug>.json publishes it. */
export function detailValidator(slug: string) {
  const schema = JSON.parse(readFileSync(new URL(`../../docs/events/${slug}.json`, import.meta.url), 'utf8'));
  return compileEventSchema(schema);
}

/**
 * The API stack (simulator, dynalite, local bus, the callback queue and processor) behind the local
 * API server: callbacks arrive by real HTTP, as byrobot sends them.
 */
export async function startCallbackStack(options: Parameters<typeof startApiStack>[0] = {}) {
  const stack = await startApiStack(options);
  const api = await startApiServer({ deps: stack.deps });
  const metrics: Record<string, number> = {};
  // Recorded, not replaced: the real Metrics still gets every call.
  const addMetric = stack.deps.metrics.addMetric.bind(stack.deps.metrics);
  stack.deps.metrics.addMetric = (name, unit, value, resolution) => {
    metrics[name] = (metrics[name] ?? 0) + value;
    return addMetric(name, unit, value, resolution);
  };
  async function post(body: string, contentType: string | null = JSON_TYPE, token = LOCAL_CALLBACK_TOKEN) {
    const res = await fetch(`${api.url}/byrobot/callback/${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: contentType === null ? {} : { 'content-type': contentType },
      body: contentType === null ? new Blob([body]) : body,
    });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  }
  const ofType = (detailType: string) => stack.bus.bus.events.filter((e) => e['detail-type'] === detailType);
  return {
    ...stack,
    api,
    metrics,
    post,
    ofType,
    /** Waits until the callback queue has processed (or dead-lettered) everything sent to it. */
    drained: () => stack.callbackQueue.drained(),
    async close() {
      await api.close();
      await stack.close();
    },
  };
}
export type CallbackStack = Awaited<ReturnType<typeof startCallbackStack>> & ApiStack;

export { until };
