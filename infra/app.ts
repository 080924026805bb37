import { createApp } from './bridge-app.ts';

// `npx cdk synth -c stage=dev` (cdk.json runs this file with tsx).
createApp().app.synth();
