import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// graphql 16 has no "exports" map: Node loads its CommonJS build (as @apollo/gateway and graphql-ws
// do when run), while Vite would pick its ES build for our sources. Two copies cannot share
// schemas or errors, so tests load the one Node loads, as in production.
const graphql = createRequire(import.meta.url).resolve('graphql');

/**
 * Three tiers chosen by file name: unit `*.test.ts` beside the code, integration `*.int.test.ts`
 * against real databases (PGlite always, PostgreSQL when DATABASE_URL is set), and end-to-end
 * `e2e/*.e2e.ts` that start the real processes and speak HTTP to the router.
 */
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphql }] },
  test: {
    // CI also writes a JSON summary that .ci/run turns into a closing "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['**/*.test.ts'], exclude: ['**/*.int.test.ts', '**/node_modules/**'] } },
      { extends: true, test: { name: 'integration', include: ['**/*.int.test.ts'], exclude: ['**/node_modules/**'], testTimeout: 60_000, hookTimeout: 120_000 } },
      { extends: true, test: { name: 'e2e', include: ['e2e/**/*.e2e.ts'], testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false } },
    ],
  },
});
