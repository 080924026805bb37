import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { BridgeStack } from './stack.ts';
import { stageSettings } from './stages.ts';

export const DEFAULT_STAGE = 'dev';

/**
 * The CDK app for one stage: `-c stage=<name>` (default dev). An unknown stage throws, listing the
 * known ones. cdk-nag's AWS Solutions and Serverless packs check everything; a finding that is not
 * acknowledged with a reason (infra/nag.ts) fails `cdk synth`.
 */
export function createApp(props: AppProps = {}): { app: App; stack: BridgeStack; stage: string } {
  const app = new App(props);
  const stage = (app.node.tryGetContext('stage') as string | undefined) ?? DEFAULT_STAGE;
  const settings = stageSettings(stage);
  const stack = new BridgeStack(app, `ByrobotBridge-${stage}`, {
    stage,
    settings,
    description: `byrobot-bridge (${stage}): byrobot open API ↔ AWS`,
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT,
      region: process.env.CDK_DEFAULT_REGION,
    },
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
