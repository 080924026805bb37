// Loads one built bundle in this fresh Node process and invokes its handler once, as Lambda would:
// `node invoke.mjs <bundle.mjs>` with the event as JSON on stdin. The answer is printed on a line
// of its own after RESULT, so the function's own log lines cannot be mistaken for it.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const bundle = process.argv[2];
const event = JSON.parse(readFileSync(0, 'utf8'));
const started = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const importMs = performance.now() - started;
const deadline = Date.now() + 60_000;
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'bundle-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bundle-test',
  memoryLimitInMB: '512',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000000',
  logGroupName: '/aws/lambda/bundle-test',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => deadline - Date.now(),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
try {
  const result = await handler(event, context);
  process.stdout.write(`\nRESULT ${JSON.stringify({ ok: true, importMs, result: result ?? null })}\n`);
} catch (error) {
  process.stdout.write(
    `\nRESULT ${JSON.stringify({ ok: false, importMs, error: String(error?.message ?? error) })}\n`,
  );
}
