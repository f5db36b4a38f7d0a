import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const contracts = fileURLToPath(new URL('./packages/contracts/src/index.ts', import.meta.url));
const alias = { '@yardmaster/contracts': contracts };
const dbTests = ['apps/server/src/**/*.db.test.ts', 'apps/server/test/**/*.test.ts'];

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
          exclude: ['**/*.db.test.ts', '**/node_modules/**'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'postgres',
          sequence: { groupOrder: 1 },
          include: dbTests,
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
          include: dbTests,
          env: { YM_TEST_DB: 'pglite' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
