import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { migrations } from '../../src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant, type Database, type TenantRecord } from '../../src/platform/db/index.js';
import { wireDispatchToCapacity } from '../../src/modules/dispatch/index.js';

export type TestDbKind = 'postgres' | 'pglite';

/** Which engine this test project runs against (set per Vitest project). */
export const testDbKind = (): TestDbKind => (process.env.YM_TEST_DB === 'pglite' ? 'pglite' : 'postgres');

/**
 * A database for one test file: the run's fresh PostgreSQL database, or a new embedded PGlite in a
 * temporary folder. Either way migrated and ready.
 */
/** What a process's composition root wires (app.ts, cli.ts), for suites that call the modules directly. */
export function wireModulesLikeTheApp(): void {
  wireDispatchToCapacity({ warn: (obj, msg) => console.warn(msg, obj.err) });
}

export async function openTestDatabase(): Promise<Database> {
  wireModulesLikeTheApp();
  if (testDbKind() === 'postgres') {
    return openDatabase({ kind: 'postgres', url: inject('postgresUrl'), poolSize: 20 });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ym-pglite-'));
  const database = await openDatabase({ kind: 'embedded', dataDir: dir });
  await migrateAll(database.db, migrations);
  return {
    ...database,
    async close() {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const uniqueSlug = (prefix = 't'): string => `${prefix}_${randomBytes(4).toString('hex')}`;

export async function createTestTenant(database: Database, prefix = 't'): Promise<TenantRecord> {
  return provisionTenant(database.db, { slug: uniqueSlug(prefix), name: `Tenant ${prefix}`, timeZone: 'UTC' }, migrations.tenant);
}
