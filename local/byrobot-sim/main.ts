// npm run sim -- [--port N] [--seed S] [--speed F] : the byrobot simulator on its own.
import { parseArgs } from 'node:util';
import { startSimulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    seed: { type: 'string' },
    speed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'usage: npm run sim -- [--port 4010] [--seed 1] [--speed 30]\n  --speed: virtual seconds per real second (0 = only when advanced via POST /__sim/clock/advance)',
  );
  process.exit(0);
}
const port = Number(values.port ?? process.env.SIM_PORT ?? 4010);
try {
  const sim = await startSimulator({
    port,
    seed: Number(values.seed ?? 1),
    speed: Number(values.speed ?? 30),
  });
  const key = process.env.SIM_APP_KEY ?? 'demo-key';
  const secret = process.env.SIM_APP_SECRET ? '$SIM_APP_SECRET' : 'demo-secret';
  console.log(
    `byrobot simulator ready at ${sim.url} (virtual clock ×${values.speed ?? 30}; controls at ${sim.url}/__sim/…)`,
  );
  console.log('Point the operator CLI at it:');
  console.log(`  export BYROBOT_BASE_URL=${sim.url} BYROBOT_APP_KEY=${key} BYROBOT_APP_SECRET=${secret}`);
  console.log('  npx byrobot-bridge companies');
  console.log('  npx byrobot-bridge robots --company 1');
  const stop = () => sim.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`port ${port} is already in use: pass --port N or set SIM_PORT`);
    process.exit(1);
  }
  throw error;
}
