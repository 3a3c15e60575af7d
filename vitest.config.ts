import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Most test time is spent waiting on DynamoDB Local, the local services and workflow processes,
    // not on the test's own CPU: three files at a time keep two cores busy (the default is one).
    maxWorkers: 3,
    // Files share a worker's module cache: importing the SDKs, CDK and the stack once per worker, not per
    // file, saves most of the import time. Spies are restored before each test.
    isolate: false,
    restoreMocks: true,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Never relied on: a few cases build 5,000-sample notices, on cores shared with other files.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/dynamodb-local-setup.ts'],
          // Two cores shared by DynamoDB Local and parallel test files: generous, never relied on.
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Real workflow processes on the whole local stack; each file starts its own.
          testTimeout: 240_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
