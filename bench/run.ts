// npm run bench: every benchmark; figures go to bench/results/*.json and docs/performance.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { benchApi } from './api.ts';
import { benchBundles } from './bundles.ts';
import { benchDelivery } from './delivery.ts';
import { benchPoller, failedChecks } from './poller.ts';
import { benchPush } from './push.ts';

// The SDK's Node-version notice (Lambda runs nodejs24.x) would only clutter the figures' output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const only = process.argv[2];
mkdirSync('bench/results', { recursive: true });

function replaceSection(marker: string, markdown: string) {
  const path = 'docs/performance.md';
  const text = readFileSync(path, 'utf8');
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`${path} lacks the ${marker} markers`);
  writeFileSync(path, `${text.slice(0, from + start.length)}\n${markdown}\n${text.slice(to)}`);
}

/** The figures to bench/results/<name>.json, and their lines to docs/performance.md (`<marker>:start` … `:end`). */
function report(name: string, figures: unknown, lines: string[], marker = `${name}-bench`) {
  writeFileSync(`bench/results/${name}.json`, `${JSON.stringify(figures, null, 2)}\n`);
  replaceSection(marker, lines.join('\n'));
}

const measured = (cores: number) =>
  `Measured ${new Date().toISOString().slice(0, 10)} on this project's ${cores}-core machine (Node ${process.versions.node})`;
/** `k v, k v` of counts by name. */
const counts = (byName: Record<string, number>) =>
  Object.entries(byName)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
/** Every failed check of every scenario, `scenario: check`. */
const failedOf = (results: { scenario: string; checks: Record<string, boolean> }[]) =>
  results.flatMap((r) => failedChecks(r.checks).map((name) => `${r.scenario}: ${name}`));
const figureTable = (rows: string[]) => ['| figure | value |', '|---|---|', ...rows];

if (!only || only === 'poller') {
  const results = await benchPoller();
  const mb = (n: number) => `${n.toFixed(0)} MB`;
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.requests} | ${r.bound} | ${r.ratio.toFixed(3)} | ${r.naive.requests} | ${r.wallSeconds.toFixed(1)} s | ${r.naive.wallSeconds.toFixed(1)} s | ${r.maxInFlight} | ${mb(r.memory.peakHeapMb)} (+${mb(r.memory.heapGrowthMb)}) | ${mb(r.memory.peakRssMb)} | ${r.tasksCompleted} of ${r.tasksRunningAtStart} | ${Object.values(r.events).reduce((a, b) => a + b, 0)} |`,
  );
  const failed = failedOf(results);
  report('poller', results, [
    `${measured(availableParallelism())}, 50 ms added to every byrobot request, client capped at 8 in flight; simulator, dynalite and the local bus in a child process.`,
    '',
    '| scenario | byrobot requests | lower bound | requests ÷ bound | naive poller requests | wall time | naive wall time | peak in flight | poller heap peak (growth) | poller RSS peak | tasks completed in the cycle | events |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Lower-bound parts (listing pages + completed-task details + new-call pages + new-call details), and the requests each poller made:',
    '',
    ...results.map((r) => {
      const p = r.boundParts;
      return `- ${r.scenario}: bound ${p.listingPages} + ${p.completedDetails} + ${p.newCallPages} + ${p.newCalls}; poller: ${counts(r.byEndpoint)}; naive: ${counts(r.naive.byEndpoint)}; events: ${counts(r.events) || 'none'}`;
    }),
    '',
    failed.length === 0
      ? 'Cross-checks passed: in every scenario the poller published one `Call Completed` per new call and one `Task Completed` per completed task, and the naive poller found the same calls and completions.'
      : `Cross-checks FAILED: ${failed.join('; ')}.`,
  ]);
}

if (!only || only === 'push') {
  const results = await benchPush();
  const ms = (n: number | null) => (n === null ? '–' : `${n} ms`);
  const s = (n: number | null) => (n === null ? '–' : `${n} s`);
  const failed = failedOf(results);
  report('push', results, [
    `${measured(availableParallelism())}, 50 ms added to every byrobot request, grace period 120 s; simulator, receiver, callback queue, processor, dynalite and the local bus in a child process, the reconciling poller in this one.`,
    '',
    '| scenario | cycles | calls | pushes dropped | byrobot requests (a cycle) | bound | requests ÷ bound | phoneLogInfo | queryDoneTaskPhones | push → PutEvents wall p50 / p99 | push → event virtual p50 / p99 | every call → event virtual p50 / p99 / max |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.scenario} | ${r.cycles} | ${r.newCalls.toLocaleString('en')} | ${r.dropped} | ${r.requests} (${r.requestsPerCycle.toFixed(1)}) | ${r.bound} | ${r.ratio.toFixed(3)} | ${r.byEndpoint['v1/task/phoneLogInfo'] ?? 0} | ${r.byEndpoint['v1/task/queryDoneTaskPhones'] ?? 0} | ${ms(r.pushWallMs.p50)} / ${ms(r.pushWallMs.p99)} | ${s(r.pushVirtualSeconds.p50)} / ${s(r.pushVirtualSeconds.p99)} | ${s(r.allCallsVirtualSeconds.p50)} / ${s(r.allCallsVirtualSeconds.p99)} / ${s(r.allCallsVirtualSeconds.max)} |`,
    ),
    '',
    'Requests by endpoint over each run, and the time the push path took to absorb each virtual minute (60 one-second steps):',
    '',
    ...results.map(
      (r) =>
        `- ${r.scenario}: ${counts(r.byEndpoint)}; ${counts(r.entries)}; minutes absorbed in ${r.pushDrainSeconds.join(', ')} s; poll cycles ${r.pollWallSeconds.join(', ')} s`,
    ),
    '',
    failed.length === 0
      ? 'Checks passed: every call that ended in the run was announced by exactly one `Call Completed` with one id (pushed or reconciled), no call was read when every push arrived, and requests stayed within 1.1 × the bound.'
      : `Checks FAILED: ${failed.join('; ')}.`,
  ]);
}
if (!only || only === 'api') {
  const r = await benchApi();
  console.log(r);
  report('api', r, [
    `${measured(2)}.`,
    '',
    ...figureTable([
      `| import pipeline: normalise, validate and chunk ${r.importRows.toLocaleString('en')} rows (median of 5) | ${r.importPipelineMs.toFixed(0)} ms — ${r.importRowsPerSecond.toLocaleString('en')} rows/s |`,
      `| middy stack (body, API-key auth, errors, logger, metrics) per request | ${r.stackMicrosecondsPerRequest.toFixed(1)} µs |`,
      `| bare middy handler per request | ${r.bareMicrosecondsPerRequest.toFixed(1)} µs |`,
      `| the stack's own overhead | ${r.overheadMicroseconds.toFixed(1)} µs per request (${r.requests.toLocaleString('en')} requests) |`,
    ]),
  ]);
}

if (!only || only === 'delivery') {
  const r = await benchDelivery();
  console.log(r);
  report('delivery', r, [
    `${measured(2)}.`,
    '',
    ...figureTable([
      `| sign one event (Standard Webhooks, the full Call Completed event as body) | ${r.signMicroseconds.toFixed(1)} µs |`,
      `| sign + post to a local receiver, one at a time (500 posts) | ${r.postMs.toFixed(2)} ms per event |`,
      `| ${r.burstEvents} events at once through the Deliverer (post + delivery log in dynalite) | ${r.burstMs.toFixed(0)} ms, ${r.burstPerSecond.toLocaleString('en')} events/s, ${r.delivered} delivered |`,
    ]),
  ]);
}

if (!only || only === 'bundles') {
  const figures = await benchBundles();
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  const bundled = figures.filter((f) => f.sdk === 'bundled');
  const runtime = new Map(figures.filter((f) => f.sdk === 'runtime').map((f) => [f.name, f]));
  const worst = Math.max(...bundled.slice(1).map((f) => f.ratio));
  report(
    'bundles',
    figures,
    [
      `${measured(2)}; each import time is the median of ${process.env.BENCH_IMPORT_RUNS ?? 15} cold imports, each in a fresh process, every file's runs interleaved round-robin. Bytes are what a cold start loads (\`index.mjs\` and the chunks it imports); "later" is every chunk loaded on first use.`,
      '',
      '| function | cold start loads (SDK inside) | later | cold import | ÷ reference | with source maps | cold start loads (runtime SDK) | cold import | what dominates the cold start (SDK inside) |',
      '|---|---|---|---|---|---|---|---|---|',
      ...bundled.map((f) => {
        const r = runtime.get(f.name)!;
        const ours = f.lazy.map((l) => `, of it ${kb(l.bytes)} ${l.source}`).join('');
        return `| ${f.name} | ${kb(f.bytes)} | ${kb(f.laterBytes)}${ours} | ${f.importMs.toFixed(1)} ms | ${f.ratio.toFixed(2)} | ${f.importMsSourceMaps.toFixed(1)} ms | ${kb(r.bytes)} | ${r.importMs.toFixed(1)} ms | ${f.top.map((t) => `${t.what} ${kb(t.bytes)}`).join(', ')} |`;
      }),
      '',
      `Target: every function ≤ 1.1 × the reference's cold import (stretch ≤ 1.0 ×). Worst ratio: ${worst.toFixed(2)} (${worst <= 1.0 ? 'stretch met' : worst <= 1.1 ? 'met' : 'MISSED'}).`,
    ],
    'bundle-bench',
  );
}
