import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../src/platform/caller.js';
import { systemCaller } from '../src/platform/caller.js';
import { withControl, withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { hashEvent, sealPersonal } from '../src/modules/audit/audit.hash.js';
import { hashedContentOf } from '../src/modules/audit/audit.repo.js';
import { auditHead, listAuditEvents, recordAudit, recordAuditBatch, verifyAuditChain } from '../src/modules/audit/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

const alice = (tenantSlug: string): Caller => ({
  kind: 'user',
  subject: 'user-alice',
  name: 'Alice Admin',
  roles: ['admin'],
  tenantSlug,
  requestId: 'req-1',
  sourceIp: '203.0.113.7',
  userAgent: 'vitest/1.0',
});

/** Edits the stored chain as a superuser with triggers off: the attack tamper evidence must reveal. */
async function behindTheDatabasesBack(database: Database, slug: string, statement: string): Promise<void> {
  await withControl(database.db, async (tx) => {
    await sql`set local session_replication_role = replica`.execute(tx);
    await sql`select set_config('search_path', ${`t_${slug}`}, true)`.execute(tx);
    await sql.raw(statement).execute(tx);
  });
}

describe(`audit trail on ${testDbKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('records who did what with the changed fields only, chained by hash, and verifies', async () => {
    const tenant = await createTestTenant(database, 'au');
    const caller = alice(tenant.slug);
    await withTenant(database.db, tenant.slug, async (tx) => {
      await recordAudit(tx, caller, {
        action: 'equipment.created',
        entityType: 'equipment',
        entityId: 'e1',
        after: { name: 'Crane', status: 'available', version: 1 },
      });
      await recordAudit(tx, caller, {
        action: 'equipment.updated',
        entityType: 'equipment',
        entityId: 'e1',
        before: { name: 'Crane', status: 'available', version: 1, note: 'x' },
        after: { name: 'Crane', status: 'maintenance', version: 2 },
      });
    });
    await withTenant(database.db, tenant.slug, (tx) =>
      recordAudit(tx, systemCaller(tenant.slug), {
        action: 'equipment.deleted',
        entityType: 'equipment',
        entityId: 'e1',
        before: { name: 'Crane' },
      }),
    );
    const events = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx));
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3]);
    expect(events[0]).toMatchObject({
      action: 'equipment.created',
      entityType: 'equipment',
      entityId: 'e1',
      actor: { kind: 'user', subject: 'user-alice', name: 'Alice Admin', roles: ['admin'] },
      before: null,
      after: { name: 'Crane', status: 'available', version: 1 },
      requestId: 'req-1',
      sourceIp: '203.0.113.7',
      userAgent: 'vitest/1.0',
      prevHash: '0'.repeat(64),
    });
    expect(events[1]).toMatchObject({
      before: { status: 'available', version: 1, note: 'x' },
      after: { status: 'maintenance', version: 2, note: null },
    });
    expect(events[2]).toMatchObject({ actor: { kind: 'system', subject: 'system' }, before: { name: 'Crane' }, after: null });
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(events[2]?.prevHash).toBe(events[1]?.hash);
    expect(Date.parse(events[0]?.occurredAt ?? '')).toBeLessThanOrEqual(Date.parse(events[2]?.occurredAt ?? ''));
    expect(await verifyAuditChain(database.db, tenant.slug)).toEqual({
      ok: true,
      checked: 3,
      headSequence: 3,
      headHash: events[2]?.hash,
      firstBroken: null,
    });
  });

  it('values that jsonb reorders or renormalises still verify (canonical serialisation)', async () => {
    const tenant = await createTestTenant(database, 'au');
    const awkward = {
      zeta: 1,
      alpha: { b: [3, { y: 1, x: 2 }], a: null },
      big: 1e21,
      tiny: 5e-324,
      float: 0.1 + 0.2,
      negativeZero: -0,
      whole: 2.0,
      unicode: 'Zürich — 東京 🚚',
      control: 'tab\there\nnewline "quoted" \\ back',
      nul: 'a\u0000b',
      lone: 'x\uD800y',
      when: new Date('2026-11-25T04:00:00.123Z'),
      skipped: undefined,
      ['__proto__']: 'own member',
      '': 'empty key',
      ключ: 'non-ascii key',
    };
    await withTenant(database.db, tenant.slug, (tx) =>
      recordAudit(tx, alice(tenant.slug), { action: 'site.created', entityType: 'site', entityId: 's1', after: awkward }),
    );
    const [event] = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx));
    expect(event?.after).toMatchObject({
      big: 1e21,
      float: 0.30000000000000004,
      negativeZero: 0,
      nul: 'a\uFFFDb',
      lone: 'x\uFFFDy',
      when: '2026-11-25T04:00:00.123Z',
    });
    expect(event?.after).not.toHaveProperty('skipped');
    expect((await verifyAuditChain(database.db, tenant.slug)).ok).toBe(true);
  });

  it('a rolled-back transaction leaves no event; a committed one exactly one', async () => {
    const tenant = await createTestTenant(database, 'au');
    await expect(
      withTenant(database.db, tenant.slug, async (tx) => {
        await recordAudit(tx, alice(tenant.slug), {
          action: 'driver.created',
          entityType: 'driver',
          entityId: 'd1',
          after: { name: 'Bo' },
        });
        throw new Error('the use case failed after auditing');
      }),
    ).rejects.toThrow('the use case failed');
    expect(await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx))).toEqual([]);
    await withTenant(database.db, tenant.slug, (tx) =>
      recordAudit(tx, alice(tenant.slug), { action: 'driver.created', entityType: 'driver', entityId: 'd1', after: { name: 'Bo' } }),
    );
    const events = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ sequence: 1, action: 'driver.created', prevHash: '0'.repeat(64) });
    // The helper for "this action left exactly one event": the head before, the events after it.
    const head = await withTenant(database.db, tenant.slug, auditHead);
    expect(head).toEqual({ sequence: 1, hash: events[0]?.hash });
    await withTenant(database.db, tenant.slug, (tx) =>
      recordAudit(tx, alice(tenant.slug), {
        action: 'driver.updated',
        entityType: 'driver',
        entityId: 'd1',
        before: { name: 'Bo' },
        after: { name: 'Bob' },
      }),
    );
    const since = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx, {}, { afterSequence: head.sequence }));
    expect(since.map((e) => [e.sequence, e.action, e.before, e.after])).toEqual([[2, 'driver.updated', { name: 'Bo' }, { name: 'Bob' }]]);
    expect((await verifyAuditChain(database.db, tenant.slug)).ok).toBe(true);
  });

  it('sequences stay gap-free and ordered under 25 concurrent writers, some rolling back', async () => {
    const tenant = await createTestTenant(database, 'au');
    const writers = Array.from({ length: 25 }, (_, i) =>
      withTenant(database.db, tenant.slug, async (tx) => {
        await recordAudit(tx, alice(tenant.slug), { action: 'job.created', entityType: 'job', entityId: `j${i}`, after: { n: i } });
        await sql`select pg_sleep(${(i % 5) / 200})`.execute(tx);
        await recordAudit(tx, alice(tenant.slug), {
          action: 'job.updated',
          entityType: 'job',
          entityId: `j${i}`,
          before: { n: i },
          after: { n: i + 1 },
        });
        if (i % 7 === 3) throw new Error(`writer ${i} rolls back`);
      }).then(
        () => 'committed',
        () => 'rolled back',
      ),
    );
    const outcomes = await Promise.all(writers);
    const committed = outcomes.filter((o) => o === 'committed').length;
    expect(committed).toBe(25 - 4); // i = 3, 10, 17, 24
    const events = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx));
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: committed * 2 }, (_, i) => i + 1));
    // Each writer's two events are adjacent: the head lock serialises whole transactions.
    for (let i = 0; i < events.length; i += 2) expect(events[i]?.entityId).toBe(events[i + 1]?.entityId);
    expect(new Set(events.map((e) => e.entityId)).size).toBe(committed);
    expect(await verifyAuditChain(database.db, tenant.slug)).toMatchObject({ ok: true, checked: committed * 2 });
  });

  it("each tenant has its own chain; one tenant's writers never touch another's", async () => {
    const a = await createTestTenant(database, 'au');
    const b = await createTestTenant(database, 'au');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const slug = i % 2 === 0 ? a.slug : b.slug;
        return withTenant(database.db, slug, (tx) =>
          recordAudit(tx, alice(slug), { action: 'job.created', entityType: 'job', entityId: `j${i}` }),
        );
      }),
    );
    for (const slug of [a.slug, b.slug]) {
      const events = await withTenant(database.db, slug, (tx) => listAuditEvents(tx));
      expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await verifyAuditChain(database.db, slug)).toMatchObject({ ok: true, checked: 10 });
    }
  });

  it("is append-only for the tenant's role: UPDATE, DELETE and TRUNCATE are refused", async () => {
    const tenant = await createTestTenant(database, 'au');
    await withTenant(database.db, tenant.slug, (tx) =>
      recordAudit(tx, alice(tenant.slug), { action: 'x.created', entityType: 'x', entityId: '1' }),
    );
    for (const statement of [
      'update audit_events set entity_id = $$2$$',
      'delete from audit_events',
      'truncate audit_events',
      'delete from audit_chain',
      'insert into audit_chain (id, last_sequence, last_hash) values (false, 0, $$h$$)',
      // …nor can it switch the guards off.
      'alter table audit_events disable trigger all',
      'drop trigger audit_events_no_update_delete on audit_events',
      'set local session_replication_role = replica',
    ]) {
      await expect(
        withTenant(database.db, tenant.slug, (tx) => sql.raw(statement).execute(tx)),
        statement,
      ).rejects.toMatchObject({ code: '42501' });
    }
    expect(await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx))).toHaveLength(1);
  });

  it('is append-only even for a superuser while triggers are enabled', async () => {
    const tenant = await createTestTenant(database, 'au');
    await withTenant(database.db, tenant.slug, (tx) =>
      recordAudit(tx, alice(tenant.slug), { action: 'x.created', entityType: 'x', entityId: '1' }),
    );
    const schema = `t_${tenant.slug}`;
    for (const statement of [
      `update ${schema}.audit_events set entity_id = '2'`,
      `delete from ${schema}.audit_events`,
      `truncate ${schema}.audit_events`,
      `delete from ${schema}.audit_chain`,
      `truncate ${schema}.audit_chain`,
    ]) {
      await expect(
        withControl(database.db, (tx) => sql.raw(statement).execute(tx)),
        statement,
      ).rejects.toThrow(/append-only/);
    }
    const count = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'audit_events')}`.execute(database.db);
    expect(count.rows[0]?.n).toBe(1);
  });

  describe('tamper evidence', () => {
    let tenant: TenantRecord;
    beforeAll(async () => {
      tenant = await createTestTenant(database, 'au');
      await withTenant(database.db, tenant.slug, (tx) =>
        recordAuditBatch(
          tx,
          alice(tenant.slug),
          Array.from({ length: 10 }, (_, i) => ({ action: 'job.created', entityType: 'job', entityId: `j${i + 1}`, after: { n: i + 1 } })),
        ),
      );
    });

    const freshCopy = async (): Promise<string> => {
      // Each case tampers with its own tenant so the cases stay independent.
      const copy = await createTestTenant(database, 'tp');
      await withTenant(database.db, copy.slug, (tx) =>
        recordAuditBatch(
          tx,
          alice(copy.slug),
          Array.from({ length: 10 }, (_, i) => ({ action: 'job.created', entityType: 'job', entityId: `j${i + 1}`, after: { n: i + 1 } })),
        ),
      );
      return copy.slug;
    };

    it('an untouched chain verifies', async () => {
      expect(await verifyAuditChain(database.db, tenant.slug)).toMatchObject({
        ok: true,
        checked: 10,
        headSequence: 10,
        firstBroken: null,
      });
    });

    it('an edited field is found at its sequence', async () => {
      const slug = await freshCopy();
      const before = await withTenant(database.db, slug, (tx) => listAuditEvents(tx, { entityId: 'j6' }));
      await behindTheDatabasesBack(database, slug, `update audit_events set after = '{"n": 600}' where sequence = 6`);
      const result = await verifyAuditChain(database.db, slug);
      expect(result).toMatchObject({ ok: false, checked: 5, firstBroken: { sequence: 6, check: 'hash', found: before[0]?.hash } });
      expect(result.firstBroken?.expected).not.toBe(before[0]?.hash);
    });

    it('an edit that also recomputes the hash breaks the next link', async () => {
      const slug = await freshCopy();
      await behindTheDatabasesBack(
        database,
        slug,
        `update audit_events set after = '{"n": 400}', hash = repeat('a', 64) where sequence = 4`,
      );
      expect(await verifyAuditChain(database.db, slug)).toMatchObject({ ok: false, firstBroken: { sequence: 4, check: 'hash' } });
      // The forger fixes the row's hash properly (over its keyed hashes, as audit_append does): then event 5 no longer points at it.
      const row = await withTenant(database.db, slug, async (tx) =>
        tx.selectFrom('audit_events').selectAll().where('sequence', '=', 4).executeTakeFirstOrThrow(),
      );
      const forgedHash = hashEvent(sealPersonal(hashedContentOf(row), row.personal ?? {}));
      await behindTheDatabasesBack(database, slug, `update audit_events set hash = '${forgedHash}' where sequence = 4`);
      expect(await verifyAuditChain(database.db, slug)).toMatchObject({
        ok: false,
        firstBroken: { sequence: 5, check: 'prevHash', expected: forgedHash },
      });
    });

    it('a personal value changed behind its keyed hash is found', async () => {
      const slug = await freshCopy();
      await behindTheDatabasesBack(database, slug, `update audit_events set actor_name = 'Mallory' where sequence = 4`);
      expect(await verifyAuditChain(database.db, slug)).toMatchObject({
        ok: false,
        checked: 3,
        firstBroken: { sequence: 4, check: 'personal' },
      });
    });

    it('a deleted event is found as a gap', async () => {
      const slug = await freshCopy();
      await behindTheDatabasesBack(database, slug, `delete from audit_events where sequence = 3`);
      expect(await verifyAuditChain(database.db, slug)).toMatchObject({
        ok: false,
        checked: 2,
        firstBroken: { sequence: 3, check: 'sequence', expected: '3', found: '4' },
      });
    });

    it('deleting the newest events is found against the chain head', async () => {
      const slug = await freshCopy();
      await behindTheDatabasesBack(database, slug, `delete from audit_events where sequence >= 9`);
      expect(await verifyAuditChain(database.db, slug)).toMatchObject({
        ok: false,
        checked: 8,
        firstBroken: { sequence: 9, check: 'sequence', found: 'no event' },
      });
    });
  });
});
