import { sql, type Transaction } from 'kysely';

export const name = '202611250601_reporting_retention_guard';

/**
 * Status reports stay immutable, and the only deletion ever allowed is the retention archive job's
 * (docs/retention.md): as the schema owner, with `ym.retention_purge = 'on'` set for its
 * transaction, and only for reports finished longer ago than the tenant's retention period
 * (`tenant_settings['reporting.retention'].statusReportsYears`, at least 7). Anything younger is
 * refused by the database itself, whoever asks. The function pins the tenant schema.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create or replace function reporting_refuse_change() returns trigger language plpgsql
    set search_path from current as $$
    declare
      years int;
      finished timestamptz;
    begin
      if tg_level = 'ROW' and tg_op = 'DELETE' and coalesce(current_setting('ym.retention_purge', true), '') = 'on' then
        select greatest(7, coalesce((select (value->>'statusReportsYears')::int from tenant_settings where key = 'reporting.retention'), 7)) into years;
        if tg_table_name = 'status_reports' then
          finished := old.finished_at;
        else
          select r.finished_at into finished from status_reports r where r.id = old.report_id;
        end if;
        if finished is not null and finished < now() - make_interval(years => years) then
          return old;
        end if;
        raise exception 'status report data finished at % is within its % year retention period', finished, years
          using errcode = 'insufficient_privilege';
      end if;
      raise exception 'status reports are immutable: % on % refused (append a note instead)', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
}
