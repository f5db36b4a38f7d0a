import { sql, type Transaction } from 'kysely';

export const name = '202612040001_alert_region';

/**
 * An alert about a region's work is that region's: the qualification-shortfall alert is raised per
 * day, equipment type and region of the jobs' sites, and its subject (the equipment type) belongs
 * to no region. Supersedes `region_of_entity` of migration 202612031000 (same body, one change):
 * for an alert, `details->>'region'` when the evaluation set one, else its subject's region. The
 * alerts list and the live stream both ask `region_of_entity('alert', id)`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create or replace function region_of_entity(p_type text, p_id text) returns text language plpgsql stable as $$
    declare
      r text;
    begin
      if p_id is null or p_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
        return null;
      end if;
      case p_type
        when 'equipment' then select e.region into r from equipment e where e.id = p_id::uuid;
        when 'driver' then select d.region into r from drivers d where d.id = p_id::uuid;
        when 'site' then select s.region into r from sites s where s.id = p_id::uuid;
        when 'dispatch' then select s.region into r from dispatches d join sites s on s.id = d.site_id where d.id = p_id::uuid;
        when 'work_order' then select s.region into r from work_orders w join sites s on s.id = w.site_id where w.id = p_id::uuid;
        when 'alert' then
          select coalesce(a.details->>'region', region_of_entity(a.entity_type, a.entity_id)) into r from alerts a where a.id = p_id::uuid;
        else r := null;
      end case;
      return r;
    end $$`.execute(db);
}
