import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    /*
     * Two projects: `unit` is pure logic (no process, no port, no file it did not make), run alone by
     * `npm run test:unit` in seconds; `integration` talks to real local components (the simulator,
     * dynalite, the local bus, spawned processes, cdk synth). `npm test` runs both.
     */
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
          // Starting real components (simulator, dynalite, bus, child processes) on a loaded 2-core
          // machine can take many seconds; a minute is room for that and still ends a real hang.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Powertools would print every log line and EMF metric blob; tests read results, not stdout.
    // On a machine without Node 24 (README), the AWS SDK would warn once per process about its Node.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_DEV: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.local/vitest-report.json' }]]
      : ['default'],
  },
});
