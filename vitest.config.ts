import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
