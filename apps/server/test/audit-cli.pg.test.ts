import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { systemCaller } from '../src/platform/caller.js';
import { withControl, withTenant, type Database } from '../src/platform/db/index.js';
import { recordAuditBatch } from '../src/modules/audit/index.js';
import { createTestTenant, openTestDatabase } from './support/db.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { env: { ...process.env, DATABASE_URL: inject('postgresUrl'), LOG_LEVEL: 'silent' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('yardmaster audit verify <tenant-slug>', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('reports ok with the count, then the first broken link after tampering', async () => {
    const tenant = await createTestTenant(database, 'cl');
    await withTenant(database.db, tenant.slug, (tx) =>
      recordAuditBatch(
        tx,
        systemCaller(tenant.slug),
        Array.from({ length: 5 }, (_, i) => ({ action: 'job.matched', entityType: 'job', entityId: `j${i}` })),
      ),
    );
    const ok = await cli('audit', 'verify', tenant.slug);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, checked: 5, firstBroken: null });

    await withControl(database.db, async (tx) => {
      await sql`set local session_replication_role = replica`.execute(tx);
      await sql`update ${sql.id(`t_${tenant.slug}`, 'audit_events')} set entity_id = 'forged' where sequence = 2`.execute(tx);
    });
    const broken = await cli('audit', 'verify', tenant.slug);
    expect(broken.code).toBe(2);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, checked: 1, firstBroken: { sequence: 2, check: 'hash' } });

    const missing = await cli('audit', 'verify', 'no_such_tenant');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no tenant');
  });
});
