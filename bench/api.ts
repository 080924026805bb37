import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import { httpEvent, lambdaContext } from '../local/api-server/events.ts';
import { hashApiKey } from '../shared/http/auth.ts';
import { IdempotencyStore } from '../shared/http/idempotency.ts';
import { createRoute } from '../shared/http/stack.ts';
import { json } from '../shared/http/types.ts';
import { chunkRows } from '../shared/imports/chunk.ts';
import { prepareImport } from '../shared/imports/prepare.ts';
import { createObservability } from '../shared/observability/powertools.ts';
import { createDocumentClient } from '../shared/store/dynamo.ts';
import { median } from './bundles.ts';

/*
 * The HTTP API's own costs (issue: HTTP API): how fast the import pipeline normalises, validates
 * and chunks rows, and what the middy stack (body parsing, API-key auth, error handling, logging and
 * metrics) adds per request next to a bare handler. No network: the handler answers at once.
 */

function rows(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    name: `客户${i}`,
    phone:
      i % 3 === 0
        ? `+86 139 ${String(i).padStart(8, '0').slice(0, 4)} ${String(i).padStart(8, '0').slice(4)}`
        : `13${String(i).padStart(9, '0')}`,
    properties: { crmId: `LEAD-${i}`, 还款金额: String(i % 1000) },
  }));
}

async function medianMs(samples: number, fn: () => Promise<void> | void) {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function benchApi() {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const input = rows(100_000);
  prepareImport(input.slice(0, 2000)); // warm up the phone metadata and the JIT
  const pipelineMs = await medianMs(5, () => {
    const prepared = prepareImport(input, { requiredVariables: ['还款金额'] });
    chunkRows(prepared.valid, { maxRows: 1000, maxBytes: 200_000 });
  });

  const key = 'bench-key-0123456789abcdef';
  const { logger, metrics } = createObservability('bench');
  const deps = {
    logger,
    metrics,
    apiKeys: async () => [
      { id: 'bench', hash: hashApiKey(key), scopes: ['read' as const], companies: '*' as const },
    ],
    webhookSources: async () => [],
    idempotency: new IdempotencyStore(createDocumentClient({ endpoint: 'http://127.0.0.1:9' }), 'unused'),
  };
  const answer = async () => json(200, { ok: true });
  const stacked = createRoute(deps, { name: 'bench', scope: 'read', body: true }, answer);
  const bare = middy().handler(answer);
  const event = () =>
    httpEvent({
      method: 'POST',
      path: '/bench',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"a":1}',
    });
  const context = lambdaContext('bench');
  const perRequest = async (handler: (e: never, c: never) => Promise<unknown>, n: number) => {
    const t = performance.now();
    for (let i = 0; i < n; i++)
      await handler(event() as never, { ...context, awsRequestId: randomUUID() } as never);
    return ((performance.now() - t) / n) * 1000;
  };
  await perRequest(stacked, 2000);
  await perRequest(bare, 2000);
  const N = 20_000;
  const stackUs = await perRequest(stacked, N);
  const bareUs = await perRequest(bare, N);
  return {
    importRows: input.length,
    importPipelineMs: pipelineMs,
    importRowsPerSecond: Math.round(input.length / (pipelineMs / 1000)),
    requests: N,
    stackMicrosecondsPerRequest: stackUs,
    bareMicrosecondsPerRequest: bareUs,
    overheadMicroseconds: stackUs - bareUs,
  };
}
