import { describe, expect, it } from 'vitest';
import { migrations } from '../src/migrations/index.js';
import { isFullyMigrated, listTenants, migrateAll, openDatabase, provisionTenant } from '../src/platform/db/index.js';
import { createScratchPostgres } from './support/scratch.js';

describe('migrations on PostgreSQL, several instances', () => {
  it('two instances starting at once migrate exactly once (advisory locks)', async () => {
    const scratch = await createScratchPostgres();
    const a = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2 });
    const b = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2 });
    try {
      const first = await migrateAll(a.db, migrations);
      await provisionTenant(a.db, { slug: 'alpha', name: 'Alpha', timeZone: 'UTC' }, migrations.tenant);
      await provisionTenant(a.db, { slug: 'beta', name: 'Beta', timeZone: 'UTC' }, migrations.tenant);
      expect(first.control.length).toBe(migrations.control.length);
      // Now both "restart" at once over existing tenants, and again from a concurrent fresh start.
      const [ra, rb] = await Promise.all([migrateAll(a.db, migrations), migrateAll(b.db, migrations)]);
      expect([...ra.control, ...rb.control]).toEqual([]);
      expect(await isFullyMigrated(b.db, migrations)).toBe(true);
      expect((await listTenants(b.db)).map((t) => t.slug)).toEqual(['alpha', 'beta']);
    } finally {
      await a.close();
      await b.close();
      await scratch.drop();
    }
  });

  it('two instances racing on a blank database both succeed and apply each migration once', async () => {
    const scratch = await createScratchPostgres();
    const a = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2 });
    const b = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2 });
    try {
      const [ra, rb] = await Promise.all([migrateAll(a.db, migrations), migrateAll(b.db, migrations)]);
      expect([...ra.control, ...rb.control].sort()).toEqual(migrations.control.map((m) => m.name).sort());
      const ledger = await a.db.selectFrom('control.migrations').select('name').where('scope', '=', 'control').execute();
      expect(ledger).toHaveLength(migrations.control.length);
    } finally {
      await a.close();
      await b.close();
      await scratch.drop();
    }
  });
});
