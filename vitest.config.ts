import { defineConfig } from 'vitest/config';

/**
 * Three tiers chosen by file name: unit `*.test.ts` beside the code, integration `*.int.test.ts`
 * against real databases (PGlite always, PostgreSQL when DATABASE_URL is set), and end-to-end
 * `e2e/*.e2e.ts` that start the real processes and speak HTTP to the router.
 */
export default defineConfig({
  test: {
    // CI also writes a JSON summary that .ci/run turns into a closing "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
    projects: [
      { test: { name: 'unit', include: ['**/*.test.ts'], exclude: ['**/*.int.test.ts', '**/node_modules/**'] } },
      { test: { name: 'integration', include: ['**/*.int.test.ts'], exclude: ['**/node_modules/**'], testTimeout: 60_000, hookTimeout: 120_000 } },
      { test: { name: 'e2e', include: ['e2e/**/*.e2e.ts'], testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false } },
    ],
  },
});
