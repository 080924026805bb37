import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Powertools would print every log line and EMF metric blob; tests read results, not stdout.
    // The AWS SDK warns once per process that Node 20 support ends; the engines field already says so.
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
