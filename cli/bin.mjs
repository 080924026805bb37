#!/usr/bin/env node
// `npx byrobot-bridge …`: runs the TypeScript CLI through tsx's loader, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
// The AWS SDK's notice that its 2027 releases need a newer Node says nothing to an operator (the
// bridge's Lambdas run nodejs24.x); npm start silences it the same way. Set before the SDK loads.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await import('./main.ts');
