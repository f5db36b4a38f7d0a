import { sql, type Kysely, type Transaction } from 'kysely';
import { tenantRole, tenantSchema } from './scope.js';
import type { ControlTables } from './tables.js';

/** A migration: `YYYYMMDDHHMM_<module>_<what>`, never edited after it lands. */
export type Migration = {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
  up: (db: Transaction<any>) => Promise<void>;
};

export type MigrationSets = { control: readonly Migration[]; tenant: readonly Migration[] };

/** Advisory-lock keys: one for the control schema, one per tenant (hashed from its slug). */
const CONTROL_LOCK = 7_310_001;

function checkOrder(list: readonly Migration[]): void {
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1];
    const cur = list[i];
    if (prev && cur && prev.name >= cur.name) throw new Error(`migrations out of order: ${prev.name} ≥ ${cur.name}`);
  }
}

async function applyPending(tx: Transaction<ControlTables>, scope: string, list: readonly Migration[]): Promise<string[]> {
  const done = new Set((await tx.selectFrom('control.migrations').select('name').where('scope', '=', scope).execute()).map((r) => r.name));
  const applied: string[] = [];
  for (const migration of list) {
    if (done.has(migration.name)) continue;
    await migration.up(tx);
    await tx.insertInto('control.migrations').values({ scope, name: migration.name }).execute();
    applied.push(migration.name);
  }
  return applied;
}

/**
 * Creates a tenant's schema and role and brings the schema up to date. Runs inside the caller's
 * transaction so that provisioning is all-or-nothing.
 */
export async function migrateTenantSchema(tx: Transaction<ControlTables>, slug: string, list: readonly Migration[]): Promise<string[]> {
  checkOrder(list);
  const schema = tenantSchema(slug);
  // Advisory locks are per database: this serialises instances of ONE database. Another database
  // on the cluster derives other role names (see tenantRole), so it never races for this one.
  const { rows } = await sql<{
    database: string;
  }>`select current_database() as database, pg_advisory_xact_lock(${CONTROL_LOCK}, hashtext(${schema}))`.execute(tx);
  const role = tenantRole(rows[0]?.database ?? '', slug);
  // A role left behind by a database of the same name that was dropped (a restore, a test run) is
  // adopted; a concurrent creation that slipped past (unique_violation on pg_authid) is too.
  await sql`
    do $$ begin
      create role ${sql.id(role)} nologin;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(tx);
  await sql`create schema if not exists ${sql.id(schema)}`.execute(tx);
  // The connecting user must be a member of the role to SET ROLE to it (superusers already may).
  await sql`
    do $$ begin
      if not (select rolsuper from pg_roles where rolname = current_user) then
        grant ${sql.id(role)} to current_user;
      end if;
    end $$`.execute(tx);
  await sql`grant usage on schema ${sql.id(schema)} to ${sql.id(role)}`.execute(tx);
  await sql`alter default privileges in schema ${sql.id(schema)} grant select, insert, update, delete on tables to ${sql.id(role)}`.execute(
    tx,
  );
  await sql`alter default privileges in schema ${sql.id(schema)} grant usage, select, update on sequences to ${sql.id(role)}`.execute(tx);
  await sql`alter default privileges in schema ${sql.id(schema)} grant execute on functions to ${sql.id(role)}`.execute(tx);
  await sql`select set_config('search_path', ${schema}, true)`.execute(tx);
  const applied = await applyPending(tx, schema, list);
  await sql`select set_config('search_path', 'public', true)`.execute(tx);
  return applied;
}

/**
 * Drops a tenant for good: its schema, its ledger rows, its control rows and its database role.
 * Runs inside the caller's transaction (all or nothing). The role is dropped last; nothing else in
 * the cluster can depend on it, since it is derived from this database's name.
 */
export async function dropTenantSchema(tx: Transaction<ControlTables>, slug: string): Promise<void> {
  const schema = tenantSchema(slug);
  const { rows } = await sql<{
    database: string;
  }>`select current_database() as database, pg_advisory_xact_lock(${CONTROL_LOCK}, hashtext(${schema}))`.execute(tx);
  const role = tenantRole(rows[0]?.database ?? '', slug);
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(tx);
  await tx.deleteFrom('control.migrations').where('scope', '=', schema).execute();
  // Every control table that names the tenant (memberships, issuers, plans, local accounts…).
  const tables = await sql<{ table: string }>`
    select c.table_name as "table" from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema = 'control' and c.column_name = 'tenant_slug' and c.table_name <> 'tenants'`.execute(tx);
  for (const { table } of tables.rows) await sql`delete from ${sql.id('control', table)} where tenant_slug = ${slug}`.execute(tx);
  await tx.deleteFrom('control.tenants').where('slug', '=', slug).execute();
  await sql`
    do $$ begin
      if exists (select 1 from pg_roles where rolname = ${sql.lit(role)}) then
        drop owned by ${sql.id(role)};
        drop role ${sql.id(role)};
      end if;
    end $$`.execute(tx);
}

async function ensureControlSchema(db: Kysely<ControlTables>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${CONTROL_LOCK})`.execute(tx);
    await sql`create schema if not exists control`.execute(tx);
    await sql`
      create table if not exists control.migrations (
        scope text not null,
        name text not null,
        applied_at timestamptz not null default now(),
        primary key (scope, name)
      )`.execute(tx);
  });
}

export type MigrationReport = { control: string[]; tenants: Record<string, string[]> };

/**
 * Brings the control schema and every tenant schema up to date. Safe when several instances start
 * at once: each scope migrates under a transaction-scoped advisory lock, and the ledger is read
 * after the lock is held.
 */
export async function migrateAll(db: Kysely<ControlTables>, sets: MigrationSets): Promise<MigrationReport> {
  checkOrder(sets.control);
  checkOrder(sets.tenant);
  await ensureControlSchema(db);
  const control = await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${CONTROL_LOCK})`.execute(tx);
    return applyPending(tx, 'control', sets.control);
  });
  const tenants: Record<string, string[]> = {};
  const slugs = await db.selectFrom('control.tenants').select('slug').orderBy('slug').execute();
  for (const { slug } of slugs) {
    tenants[slug] = await db.transaction().execute((tx) => migrateTenantSchema(tx, slug, sets.tenant));
  }
  return { control, tenants };
}

/** True when nothing is pending: used by /readyz. */
export async function isFullyMigrated(db: Kysely<ControlTables>, sets: MigrationSets): Promise<boolean> {
  const exists = await sql<{ ok: boolean }>`select to_regclass('control.migrations') is not null as ok`.execute(db);
  if (!exists.rows[0]?.ok) return false;
  const rows = await db.selectFrom('control.migrations').select(['scope', 'name']).execute();
  const have = new Set(rows.map((r) => `${r.scope}/${r.name}`));
  if (!sets.control.every((m) => have.has(`control/${m.name}`))) return false;
  const slugs = await db.selectFrom('control.tenants').select('slug').where('archived_at', 'is', null).execute();
  return slugs.every(({ slug }) => sets.tenant.every((m) => have.has(`${tenantSchema(slug)}/${m.name}`)));
}
