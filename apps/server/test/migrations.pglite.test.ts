import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrations } from '../src/migrations/index.js';
import { listTenants, migrateAll, openDatabase, provisionTenant } from '../src/platform/db/index.js';

describe('embedded PGlite data folder', () => {
  it('the embedded database keeps its data across a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ym-restart-'));
    try {
      const first = await openDatabase({ kind: 'embedded', dataDir: dir });
      await migrateAll(first.db, migrations);
      await provisionTenant(first.db, { slug: 'kept', name: 'Kept', timeZone: 'UTC' }, migrations.tenant);
      await first.close();
      const second = await openDatabase({ kind: 'embedded', dataDir: dir });
      const report = await migrateAll(second.db, migrations);
      expect(report.control).toEqual([]);
      expect((await listTenants(second.db)).map((t) => t.slug)).toEqual(['kept']);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to open a data folder another live process holds', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ym-lock-'));
    try {
      // PID 1 is always alive: pretend it holds the folder.
      writeFileSync(path.join(dir, 'yardmaster.pid'), '1');
      await expect(openDatabase({ kind: 'embedded', dataDir: dir })).rejects.toThrow(/in use by process 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
