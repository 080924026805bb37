import { type Stack, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { IConstruct } from 'constructs';
import type { BridgeFunction } from './constructs/bridge-function.ts';

export interface NagTargets {
  poller: BridgeFunction;
  importWorker: BridgeFunction;
  /** byrobot's push callbacks, SQS → events (shared/callbacks/process.ts). */
  callbackProcessor: BridgeFunction;
  /** Scheduled every 5 minutes, like the poller. */
  importSweeper: BridgeFunction;
  /** One function per HTTP API route, invoked synchronously by API Gateway. */
  routes: BridgeFunction[];
  /** Slack forwarders, invoked asynchronously by EventBridge with an on-failure destination. */
  forwarders: BridgeFunction[];
  /** The deliverers, one per destination (infra/constructs/delivery.ts acknowledges their own findings). */
  deliverers: BridgeFunction[];
  httpApi: apigwv2.HttpApi;
}

const ack = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id, reason });

/**
 * Every cdk-nag finding the stack accepts, each with the reason it is safe. Anything not listed
 * here fails `cdk synth` (cdk-nag runs as a policy-validation plugin, infra/bridge-app.ts).
 */
export function acknowledgeStackFindings(stack: Stack, t: NagTargets): void {
  const all = [
    t.poller,
    t.importWorker,
    t.callbackProcessor,
    t.importSweeper,
    ...t.routes,
    ...t.forwarders,
    ...t.deliverers,
  ];
  for (const f of all) {
    ack(
      f.fn,
      'Serverless-LambdaTracing',
      'Tracing is off on purpose: no function carries a tracer (a Powertools Tracer would add its weight to every cold start), so X-Ray would record only Lambda’s own segment, and Lambda’s X-Ray integration does not exist in the China regions. Latency is in the metrics and REPORT lines (infra/constructs/bridge-function.ts).',
    );
  }
  for (const f of [...t.routes, t.importWorker, t.callbackProcessor]) {
    ack(
      f.fn,
      'Serverless-LambdaDLQ',
      'Not invoked asynchronously: API Gateway waits for the answer (a failure is the caller’s 5xx, alarmed), and the import worker’s and callback processor’s failed messages go to their queue’s own dead-letter queue.',
    );
  }
  ack(
    t.callbackProcessor.fn,
    'Serverless-LambdaEventSourceMappingDestination',
    'An SQS event source has no on-failure destination of its own: a callback that keeps failing moves to the callback dead-letter queue by the queue’s redrive policy (maxReceiveCount 5), alarmed, redriven by hand (docs/runbook.md).',
  );
  ack(
    t.importWorker.fn,
    'Serverless-LambdaEventSourceMappingDestination',
    'An SQS event source has no on-failure destination of its own: a chunk that keeps failing moves to the import dead-letter queue by the queue’s redrive policy (maxReceiveCount 5), alarmed, redriven by hand (docs/runbook.md).',
  );
  ack(
    t.poller.fn,
    'Serverless-LambdaDLQ',
    'A failed poll tick must not be replayed: the next tick, a minute later, redoes the whole cycle from the committed snapshots. Failures are alarmed (PollerErrors, PollerSilent).',
  );
  ack(
    t.poller.fn,
    'Serverless-LambdaAsyncFailureDestination',
    'As above: retries are off and a stale tick is dropped on purpose (maximum event age 60 s); the next tick supersedes it, and errors are alarmed.',
  );
  ack(
    t.importSweeper.fn,
    'Serverless-LambdaDLQ',
    'A failed sweep must not be replayed: the next one, 5 minutes later, reads the stuck imports again from the table (a claim older than the grace period is taken over). Failures show in the function’s errors; a stuck import is alarmed (ImportStuck).',
  );
  ack(
    t.importSweeper.fn,
    'Serverless-LambdaAsyncFailureDestination',
    'As above: retries are off and a stale sweep is dropped (maximum event age 5 minutes); the next sweep supersedes it.',
  );
  for (const f of t.forwarders) {
    ack(
      f.fn,
      'Serverless-LambdaDLQ',
      'Has an on-failure destination (an SQS queue, alarmed), the newer mechanism that also records the error; a DeadLetterConfig would duplicate it.',
    );
  }
  for (const child of t.httpApi.node.findAll()) {
    if (child.node.id === 'Resource' && child.node.scope?.node.id.match(/^(GET|POST)--/)) {
      ack(
        child,
        'AwsSolutions-APIG4',
        'Authorisation happens in each route’s function: hashed, scoped API keys, Standard Webhooks HMAC signatures over the raw body, which an API Gateway authorizer never sees, or byrobot’s callback token (a per-stage secret in the path, compared in constant time: byrobot’s console takes only a URL). /health and /openapi.json are public by design (docs/api.md).',
      );
    }
  }
  for (const f of [t.poller, t.importSweeper]) {
    const arn = stack.getLogicalId(f.fn.node.defaultChild as never);
    ack(
      stack,
      `AwsSolutions-IAM5[Resource::<${arn}.Arn>:*]`,
      'EventBridge Scheduler’s role may invoke the poller and the import sweeper and their versions (the `:*` suffix CDK adds for qualified ARNs); it can invoke nothing else.',
    );
  }
}
