import { sql, type Transaction } from 'kysely';
import { ACTIVE_DISPATCH_STATUSES, DISPATCH_STATUS, DISPATCH_STATUSES } from '@yardmaster/contracts';

export const name = '202612010400_dispatch_state_machine';

const list = (statuses: readonly string[]) => sql.raw(statuses.map((s) => `'${s.replace(/'/g, "''")}'`).join(', '));

/**
 * The database's copies of the dispatch state machine, generated from `packages/contracts`
 * (statuses, the active set, which statuses stamp a timestamp) instead of written out: the status
 * check, the "active ⇔ resources held" check, the no-double-booking unique indexes and the active
 * index. A later change to the state machine adds a migration that calls this again.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function regenerateDispatchStatusRules(db: Transaction<any>): Promise<void> {
  const keptAfterwards = DISPATCH_STATUSES.filter((s) => DISPATCH_STATUS[s].assigned && !DISPATCH_STATUS[s].active);
  const { rows } = await sql<{ conname: string }>`
    select conname from pg_constraint
    where conrelid = 'dispatches'::regclass and contype = 'c'
      and (conname = 'dispatch_status_known' or conname = 'dispatch_active_holds_resources'
        or pg_get_constraintdef(oid) like '%''returning''%')`.execute(db);
  for (const { conname } of rows) await sql`alter table dispatches drop constraint ${sql.id(conname)}`.execute(db);
  await sql`alter table dispatches add constraint dispatch_status_known check (status in (${list(DISPATCH_STATUSES)}))`.execute(db);
  await sql`
    alter table dispatches add constraint dispatch_active_holds_resources check (
      (status in (${list(ACTIVE_DISPATCH_STATUSES)})) = (equipment_id is not null and driver_id is not null and dispatched_at is not null)
      or status in (${list(keptAfterwards)}))`.execute(db);
  await sql`drop index if exists dispatches_one_active_per_driver`.execute(db);
  await sql`drop index if exists dispatches_one_active_per_equipment`.execute(db);
  await sql`drop index if exists dispatches_active_idx`.execute(db);
  await sql`create unique index dispatches_one_active_per_driver on dispatches (driver_id) where status in (${list(ACTIVE_DISPATCH_STATUSES)})`.execute(
    db,
  );
  await sql`create unique index dispatches_one_active_per_equipment on dispatches (equipment_id) where status in (${list(ACTIVE_DISPATCH_STATUSES)})`.execute(
    db,
  );
  await sql`create index dispatches_active_idx on dispatches (status, dispatched_at) where status in (${list(ACTIVE_DISPATCH_STATUSES)})`.execute(
    db,
  );
}

/**
 * Plus autovacuum tuned for the churn of the dispatch engine: every assignment and completion
 * updates a dispatch, a machine and a driver (and the one-row counters), so dead index entries
 * pile up between default vacuums (the free-driver lookup slowed 4× on them). Vacuum these tables
 * after 1–2 % of their rows changed instead of 20 %, and leave room in each page for HOT updates.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await regenerateDispatchStatusRules(db);
  for (const table of ['dispatches', 'equipment', 'drivers']) {
    await sql`alter table ${sql.id(table)} set (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 100, autovacuum_analyze_scale_factor = 0.02, fillfactor = 85)`.execute(
      db,
    );
  }
  for (const table of ['work_order_counter', 'audit_chain', 'live_counter']) {
    await sql`alter table ${sql.id(table)} set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`.execute(db);
  }
}
