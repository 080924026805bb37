import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AssetHashType, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionName, functionDescription, MANIFEST } from '../../shared/manifest.ts';
import { ROOT } from '../functions.ts';
import { METRICS_NAMESPACE } from './operations.ts';

export interface BridgeFunctionProps {
  /** Which record of shared/manifest.ts. */
  name: FunctionName;
  stage: string;
  /** The function's own variables; the Powertools ones are added here. */
  environment?: Record<string, string>;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  /** `NODE_OPTIONS=--enable-source-maps`. @default false */
  sourceMapsAtRuntime?: boolean;
  /** Reserved concurrency: a cap for a function whose destination takes only so much (chat webhooks). */
  reservedConcurrency?: number;
}

/**
 * A bridge Lambda with the project's defaults: nodejs24.x on arm64, an ESM bundle built with the
 * shared esbuild settings, its own log group with retention, Powertools variables (the stage among
 * them: every metric carries it).
 *
 * No X-Ray: no function has a tracer (a Powertools Tracer would instrument the SDK clients, and add
 * its weight to every bundle's cold start, docs/performance.md), so active tracing would record only
 * Lambda's own segment at a cost, and Lambda's X-Ray integration does not exist in the China regions.
 * Latency lives in the metrics, the access log and each function's REPORT lines.
 */
export class BridgeFunction extends Construct {
  readonly fn: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BridgeFunctionProps) {
    super(scope, id);
    const spec = MANIFEST[props.name];
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Its own role: write to its own log group, nothing else until the stack grants it more (no
    // AWSLambdaBasicExecutionRole, which may write to every log group).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `byrobot-bridge ${props.stage} ${props.name}`,
    });
    this.logGroup.grantWrite(this.role);
    this.fn = new lambda.Function(this, 'Function', {
      role: this.role,
      code: functionCode(props.name),
      handler: 'index.handler',
      description: `${functionDescription(props.name)} (${props.stage})`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        BRIDGE_STAGE: props.stage,
        // Source-mapped stack traces cost every cold start the map's parsing (docs/performance.md):
        // a per-stage choice, on where debugging matters more than start-up time.
        ...(props.sourceMapsAtRuntime ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...props.environment,
      },
    });
  }
}

/**
 * The function's asset: infra/build.ts bundles it on this machine (no Docker), the same code
 * `npm run build`, the bundle tests and the bench use. Not NodejsFunction: it builds one file, and
 * esbuild's code splitting (chunks loaded on first use) needs an output directory (docs/performance.md). The asset's hash is the
 * bundle's, so a change that does not change the bundle does not redeploy the function.
 */
function functionCode(name: FunctionName): lambda.Code {
  return lambda.Code.fromAsset(ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Docker runs this only if local bundling is impossible. It also tells the functions' assets
      // apart: CDK caches bundling by source path and these options, and every function has the
      // same source path (the repository).
      image: lambda.Runtime.NODEJS_24_X.bundlingImage,
      command: ['bash', '-c', `npx tsx infra/build.ts ${name} /asset-output`],
      local: {
        tryBundle(outputDir) {
          const run = spawnSync(
            process.execPath,
            ['--import', 'tsx', join(ROOT, 'infra/build.ts'), name, outputDir],
            {
              cwd: ROOT,
              stdio: ['ignore', 'inherit', 'inherit'],
            },
          );
          if (run.status !== 0) throw new Error(`bundling ${name} failed (exit ${run.status ?? run.signal})`);
          return true;
        },
      },
    },
  });
}
