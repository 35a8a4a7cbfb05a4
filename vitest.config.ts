import { defineConfig } from 'vitest/config';
import { ISOLATED } from './test/setup/isolation.ts';
import { SlowFilesFirst } from './test/setup/sequencer.ts';

export default defineConfig({
  test: {
    setupFiles: ['test/setup/polyfills.ts'],
    globalSetup: ['test/setup/moto-server.ts', 'test/setup/bundle-cache.ts'],
    // Metrics (EMF lines on stdout) are asserted where they are tested (test/handlers/metrics.test.ts), silent elsewhere.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Measured on 2 cores (README, Tests): more workers than cores, because the slowest files mostly
    // wait on child processes (serverless package, cfn-lint, npm start, the CLI, moto).
    maxWorkers: 3,
    // The child-process files first, across both projects (test/setup/sequencer.ts).
    sequence: { sequencer: SlowFilesFirst },
    projects: [
      // Files that stub SDK client classes, the environment or modules: a fresh worker each (test/setup/isolation.ts).
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
      // The rest share their worker's modules (isolate: false): the AWS SDK, the handlers and the
      // engine are imported once per worker instead of once per file.
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false } },
    ],
  },
});
