import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { BridgeStack } from './stack.ts';
import { type StageSettings, stageSettings } from './stages.ts';

export const DEFAULT_STAGE = 'dev';

/**
 * The account an offline synthesis targets when the stage names none: AWS's documentation account,
 * which nobody can deploy to, so such an assembly can never land anywhere.
 */
export const CI_ACCOUNT = '123456789012';

const truthy = (v: unknown) => v === true || v === 'true' || v === 'on' || v === '1';

/**
 * Where the stage deploys: its own account and region from the stage settings, never the caller's
 * profile, so credentials for another account make `cdk deploy` refuse. A stage without an account
 * still synthesizes offline (`npx cdk synth -c stage=dev`, CI and the tests have no credentials) for
 * the documentation account; with credentials at hand (the CLI sets CDK_DEFAULT_ACCOUNT, as for a
 * deploy) it refuses, naming the setting. `-c ci=true` forces the offline form.
 */
export function stageEnv(
  stage: string,
  settings: StageSettings,
  options: { ci: boolean; callerAccount: string | undefined },
): { account: string; region: string } {
  const offline = options.ci || !options.callerAccount;
  const account = settings.account ?? (offline ? CI_ACCOUNT : null);
  if (!account)
    throw new Error(
      `stage "${stage}" has no AWS account: set STAGES.${stage}.account in infra/stages.ts to the 12-digit account it deploys to (docs/deploy.md)`,
    );
  if (!/^\d{12}$/.test(account))
    throw new Error(`STAGES.${stage}.account must be a 12-digit AWS account id, got "${account}"`);
  return { account, region: settings.region };
}

/**
 * The CDK app for one stage: `-c stage=<name>` (default dev). An unknown stage throws, listing the
 * known ones. cdk-nag's AWS Solutions and Serverless packs check everything; a finding that is not
 * acknowledged with a reason (infra/nag.ts) fails `cdk synth`.
 */
export function createApp(props: AppProps = {}): { app: App; stack: BridgeStack; stage: string } {
  const app = new App(props);
  const stage = (app.node.tryGetContext('stage') as string | undefined) ?? DEFAULT_STAGE;
  const configured = stageSettings(stage);
  // `-c poll=on|off` overrides the stage's pollEnabled for one deploy (dev polls only when asked).
  const poll = app.node.tryGetContext('poll') as unknown;
  const settings = poll === undefined ? configured : { ...configured, pollEnabled: truthy(poll) };
  const stack = new BridgeStack(app, `ByrobotBridge-${stage}`, {
    stage,
    settings,
    description: `byrobot-bridge (${stage}): byrobot open API ↔ AWS`,
    env: stageEnv(stage, configured, {
      ci: truthy(app.node.tryGetContext('ci')),
      callerAccount: process.env.CDK_DEFAULT_ACCOUNT,
    }),
  });
  Tags.of(app).add('project', 'byrobot-bridge');
  Tags.of(app).add('stage', stage);
  // cdk-nag 3 runs as a CDK policy-validation plugin: an unacknowledged finding fails synthesis.
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new ServerlessChecks(app, { verbose: true }),
  );
  return { app, stack, stage };
}
