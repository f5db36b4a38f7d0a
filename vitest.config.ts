import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const contracts = fileURLToPath(new URL('./packages/contracts/src/index.ts', import.meta.url));
const alias = { '@yardmaster/contracts': contracts };
const dbTests = ['apps/server/src/**/*.db.test.ts', 'apps/server/test/**/*.test.ts'];
// Engine-specific suites: `*.pg.test.ts` run only on PostgreSQL, `*.pglite.test.ts` only on PGlite
// (conditional `it.runIf` would count as skipped, which CI refuses).
const onlyPostgres = ['apps/server/**/*.pg.test.ts'];
const onlyPglite = ['apps/server/**/*.pglite.test.ts'];

/**
 * One run, several projects: pure unit tests; every database test twice, on the local PostgreSQL
 * (a fresh database per run) and on embedded PGlite; the web app's tests; browser tests.
 */
export default defineConfig({
  resolve: { alias },
  test: {
    allowOnly: false,
    passWithNoTests: false,
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['apps/server/src/**/*.test.ts', 'packages/contracts/src/**/*.test.ts'],
          exclude: ['**/*.db.test.ts', '**/*.pg.test.ts', '**/*.pglite.test.ts', '**/node_modules/**'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'postgres',
          sequence: { groupOrder: 1 },
          include: [...dbTests, ...onlyPostgres],
          exclude: [...onlyPglite, '**/node_modules/**'],
          env: { YM_TEST_DB: 'postgres' },
          globalSetup: ['apps/server/test/support/global-postgres.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'pglite',
          sequence: { groupOrder: 2 },
          include: [...dbTests, ...onlyPglite],
          exclude: [...onlyPostgres, '**/node_modules/**'],
          env: { YM_TEST_DB: 'pglite' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
        },
      },
      {
        resolve: { alias },
        test: { name: 'web', sequence: { groupOrder: 3 }, include: ['apps/web/src/**/*.test.{ts,tsx}'], environment: 'node' },
      },
      {
        // Fault injection on a throwaway PostgreSQL cluster the suite starts itself: restarts,
        // terminated sessions, an exhausted pool, a slow webhook receiver. One file at a time.
        resolve: { alias },
        test: {
          name: 'fault',
          sequence: { groupOrder: 5 },
          include: ['apps/server/test/fault/**/*.fault.ts'],
          globalSetup: ['apps/server/test/fault/global-cluster.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          sequence: { groupOrder: 4 },
          include: ['apps/web/e2e/**/*.e2e.ts'],
          globalSetup: ['apps/web/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
