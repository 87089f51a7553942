import { defineConfig } from 'vitest/config';

/**
 * Three tiers chosen by file name: unit `*.test.ts` beside the code, integration `*.int.test.ts`
 * against real databases (PGlite always, PostgreSQL when DATABASE_URL is set), and end-to-end
 * `e2e/*.e2e.ts` that start the real processes and speak HTTP to the router.
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['**/*.test.ts'], exclude: ['**/*.int.test.ts', '**/node_modules/**'] } },
      { test: { name: 'integration', include: ['**/*.int.test.ts'], exclude: ['**/node_modules/**'], testTimeout: 60_000, hookTimeout: 120_000 } },
      { test: { name: 'e2e', include: ['e2e/**/*.e2e.ts'], testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false } },
    ],
  },
});
