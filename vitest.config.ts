import { defineConfig } from 'vitest/config';

// Three Vitest tiers, each in its own folder; the browser tier (tests/e2e) is Playwright's.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Integration tests start servers and share one S3 endpoint: one file at a time keeps
          // ports, buckets and CPU (2 cores) predictable.
          fileParallelism: false,
          globalSetup: ['tests/support/global-build.ts'],
        },
      },
      {
        test: {
          name: 'deploy',
          include: ['tests/deploy/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'parity',
          include: ['tests/parity/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
