import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ESBUILD, entryPath, FUNCTIONS, type FunctionName, ROOT } from '../functions.ts';

export interface BridgeFunctionProps {
  /** Which entry of infra/functions.ts. */
  name: FunctionName;
  stage: string;
  /** The function's own variables; the Powertools ones are added here. */
  environment?: Record<string, string>;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  /** `NODE_OPTIONS=--enable-source-maps`. @default false */
  sourceMapsAtRuntime?: boolean;
}

/**
 * A bridge Lambda with the project's defaults: nodejs24.x on arm64, an ESM bundle built with the
 * shared esbuild settings, its own log group with retention, X-Ray tracing, Powertools variables.
 */
export class BridgeFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BridgeFunctionProps) {
    super(scope, id);
    const spec = FUNCTIONS[props.name];
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
    this.fn = new NodejsFunction(this, 'Function', {
      role: this.role,
      entry: entryPath(props.name),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}/package-lock.json`,
      description: `${spec.description} (${props.stage})`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: 'ByrobotBridge',
        // Source-mapped stack traces cost every cold start the map's parsing (docs/performance.md):
        // a per-stage choice, on where debugging matters more than start-up time.
        ...(props.sourceMapsAtRuntime ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        minify: ESBUILD.minify,
        sourceMap: ESBUILD.sourcemap,
        sourcesContent: ESBUILD.sourcesContent,
        target: ESBUILD.target,
        banner: ESBUILD.banner,
        mainFields: [...ESBUILD.mainFields],
        externalModules: [...ESBUILD.external],
        bundleAwsSDK: ESBUILD.external.length === 0,
        forceDockerBundling: false,
      },
    });
  }
}
