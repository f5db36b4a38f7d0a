import { sql, type Transaction } from 'kysely';

export const name = '202611250600_reporting_status_reports';

/**
 * Status reports (owned by modules/reporting): one immutable row per finished dispatch, a
 * denormalised copy of everything the report shows, and an append-only table of correction notes.
 * UPDATE/DELETE/TRUNCATE are refused by triggers (even for the owner) and revoked from the tenant
 * role; the retention archive job (docs/retention.md) is the only thing that may ever remove rows,
 * by disabling the trigger as the owner, and only after the retention period.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table status_reports (
      id uuid primary key default gen_random_uuid(),
      number bigint generated always as identity unique,
      dispatch_id uuid not null unique,
      final_status text not null check (final_status in ('completed', 'recalled')),
      priority text not null check (priority in ('urgent', 'standard', 'low')),
      work_order_id uuid not null,
      work_order_number text not null,
      work_order_description text,
      site_id uuid not null,
      site_name text not null,
      site_address text,
      equipment_id uuid not null,
      equipment_asset_tag text not null,
      equipment_name text not null,
      equipment_type_id uuid not null,
      equipment_type_code text not null,
      equipment_type_name text not null,
      driver_id uuid not null,
      driver_name text not null,
      dispatcher_kind text not null check (dispatcher_kind in ('user', 'system')),
      dispatcher_subject text not null,
      dispatcher_name text not null,
      requested_at timestamptz,
      created_at timestamptz not null,
      queued_at timestamptz,
      dispatched_at timestamptz not null,
      en_route_at timestamptz,
      on_site_at timestamptz,
      returning_at timestamptz,
      completed_at timestamptz,
      recalled_at timestamptz,
      finished_at timestamptz not null,
      notes text,
      recall_reason text,
      generated_at timestamptz not null default now(),
      content_hash text not null check (content_hash ~ '^[0-9a-f]{64}$'),
      check ((final_status = 'completed') = (completed_at is not null)),
      check ((final_status = 'recalled') = (recalled_at is not null)),
      check (finished_at = coalesce(completed_at, recalled_at)),
      check (dispatched_at >= created_at and finished_at >= dispatched_at)
    )`.execute(db);
  await sql`create index status_reports_finished on status_reports (finished_at desc, id desc)`.execute(db);
  await sql`create index status_reports_driver on status_reports (driver_id, finished_at desc, id desc)`.execute(db);
  await sql`create index status_reports_equipment on status_reports (equipment_id, finished_at desc, id desc)`.execute(db);
  await sql`create index status_reports_site on status_reports (site_id, finished_at desc, id desc)`.execute(db);
  await sql`create index status_reports_work_order on status_reports (work_order_id, finished_at desc, id desc)`.execute(db);
  await sql`create index status_reports_work_order_number on status_reports (work_order_number)`.execute(db);

  await sql`
    create table status_report_notes (
      id uuid primary key default gen_random_uuid(),
      report_id uuid not null references status_reports (id),
      body text not null check (length(body) between 1 and 5000),
      author_subject text not null,
      author_name text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index status_report_notes_report on status_report_notes (report_id, created_at, id)`.execute(db);

  await sql`
    create function reporting_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'status reports are immutable: % on % refused (append a note instead)', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  for (const table of ['status_reports', 'status_report_notes']) {
    await sql`create trigger ${sql.raw(`${table}_immutable`)} before update or delete on ${sql.table(table)} for each row execute function reporting_refuse_change()`.execute(
      db,
    );
    await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${sql.table(table)} for each statement execute function reporting_refuse_change()`.execute(
      db,
    );
  }
  await sql`
    do $$
    -- The tenant's role (per database since 202612021000; see platform/db/scope.ts tenantRole).
    declare r text := control.tenant_role(substr(current_setting('search_path'), 3));
    begin
      execute format('revoke update, delete, truncate on status_reports from %I', r);
      execute format('revoke update, delete, truncate on status_report_notes from %I', r);
    end $$`.execute(db);
}
