import { sql, type Transaction } from 'kysely';

export const name = '202612031000_regions_live_events';

/**
 * Regions (ABAC) on the live stream: every live event carries the regions it is about, computed
 * once when it is published, so the hub filters a region-limited person's stream by comparing two
 * short arrays (no query per client, no re-serialisation).
 *
 * - `region_of_entity(type, id)`: the region of an entity as the regions policy defines it (owned
 *   by modules/regions): equipment, drivers and sites their own; work orders and dispatches their
 *   site's; an alert its subject's. Null: shared, not regional, or not found.
 * - `live_events.regions`: null = every reader (shared or tenant-wide); else the region codes (a
 *   move names both the old and the new region, so both sides learn of it).
 * - `live_publish` takes an optional `regions` per event (the publisher's knowledge: a row that
 *   moved, where JSON null in the list means shared); without it, `region_of_entity`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`alter table live_events add column regions text[]`.execute(db);

  await sql`
    create function region_of_entity(p_type text, p_id text) returns text language plpgsql stable as $$
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
        when 'alert' then select region_of_entity(a.entity_type, a.entity_id) into r from alerts a where a.id = p_id::uuid;
        else r := null;
      end case;
      return r;
    end $$`.execute(db);

  await sql`
    create or replace function live_publish(p_events jsonb) returns jsonb language sql as $$
      with input as (
        select e.ord::int as ord, e.value->>'type' as type, e.value->>'entity_type' as entity_type, e.value->>'entity_id' as entity_id, e.value->'data' as data,
          case when jsonb_typeof(e.value->'driver_ids') = 'array' then array(select jsonb_array_elements_text(e.value->'driver_ids')::uuid) end as driver_ids,
          case
            when jsonb_typeof(e.value->'regions') = 'array' then
              case when exists (select 1 from jsonb_array_elements(e.value->'regions') x where jsonb_typeof(x) <> 'string') then null
                else array(select distinct x from jsonb_array_elements_text(e.value->'regions') x order by x) end
            else (select case when r is null then null else array[r] end from region_of_entity(e.value->>'entity_type', e.value->>'entity_id') r)
          end as regions
        from jsonb_array_elements(p_events) with ordinality as e(value, ord)
      ),
      counter as (update live_counter set last_id = last_id + jsonb_array_length(p_events) where id = true returning last_id - jsonb_array_length(p_events) as base),
      inserted as (
        insert into live_events (id, type, entity_type, entity_id, data, driver_ids, regions)
        select counter.base + input.ord, input.type, input.entity_type, input.entity_id, input.data, input.driver_ids, input.regions from input, counter order by input.ord
        returning id, type, entity_type, entity_id, data, occurred_at
      ),
      deliveries as (
        insert into webhook_deliveries (subscription_id, event_id, event_type, payload)
        select s.id, i.id, i.type, jsonb_build_object(
          'id', i.id::text, 'type', i.type, 'entityType', i.entity_type, 'entityId', i.entity_id,
          'occurredAt', to_char(i.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', i.data)
        from inserted i join webhook_subscriptions s on s.active and (i.type = any(s.event_types) or '*' = any(s.event_types))
        order by i.id, s.id
        returning 1
      )
      select jsonb_build_object('schema', current_setting('search_path'), 'webhooks', (select count(*) from deliveries), 'events', (select count(*) from inserted))
    $$`.execute(db);
}
