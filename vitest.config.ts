import { defineConfig } from 'vitest/config';

/**
 * Files that stub SDK clients (aws-sdk-client-mock patches a client class's prototype), the
 * environment, or import modules after setting it: each runs in a fresh worker, as vitest does by
 * default. A new test file that does any of this belongs here.
 */
const ISOLATED = ['test/handlers/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/unit/config.test.ts', 'test/unit/ec2-image-provider.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/setup/polyfills.ts'],
    globalSetup: ['test/setup/moto-server.ts'],
    // Metrics (EMF lines on stdout) are asserted where they are tested (test/handlers/metrics.test.ts), silent elsewhere.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Measured on 2 cores (README, Tests): more workers than cores, because the slowest files mostly
    // wait on child processes (serverless package, cfn-lint, npm start, the CLI, moto).
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
      // The rest share their worker's modules (isolate: false): the AWS SDK, the handlers and the
      // engine are imported once per worker instead of once per file.
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false } },
    ],
  },
});
