import { sql, type Transaction } from 'kysely';

export const name = '202612022000_write_set_functions';

/**
 * A transaction's write set in ONE statement at its end (`platform/db/scope.ts`, `beforeCommit`):
 *
 * - `live_publish(events)`: the live events (ids from the one-row `live_counter`, whose lock is then
 *   held only until COMMIT) and the webhook outbox rows; returns the schema and the outbox count.
 * - `audit_append(events)`: locks the audit chain head, appends the events with their sequence
 *   numbers and hashes, advances the head. The hash is SHA-256 over the canonical JSON of the
 *   content (`modules/audit/audit.hash.ts`); Node sends each event's canonical text around the three
 *   values only the chain knows (`a` ‖ occurredAt ‖ `","prevHash":"` ‖ prev ‖ `b` ‖ sequence ‖ `c`),
 *   so the head is locked here, late, and never held across a round trip to Node. The verifier
 *   recomputes the same hash in Node.
 * - `work_order_set_statuses({id: status})`: the work-order statuses the transaction derived from
 *   its dispatches (the rule: `workOrderStatusOf` in the contracts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create function live_publish(p_events jsonb) returns jsonb language sql as $$
      with input as (
        select e.ord::int as ord, e.value->>'type' as type, e.value->>'entity_type' as entity_type, e.value->>'entity_id' as entity_id, e.value->'data' as data,
          case when jsonb_typeof(e.value->'driver_ids') = 'array' then array(select jsonb_array_elements_text(e.value->'driver_ids')::uuid) end as driver_ids
        from jsonb_array_elements(p_events) with ordinality as e(value, ord)
      ),
      counter as (update live_counter set last_id = last_id + jsonb_array_length(p_events) where id = true returning last_id - jsonb_array_length(p_events) as base),
      inserted as (
        insert into live_events (id, type, entity_type, entity_id, data, driver_ids)
        select counter.base + input.ord, input.type, input.entity_type, input.entity_id, input.data, input.driver_ids from input, counter order by input.ord
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

  await sql`
    create function work_order_set_statuses(p_statuses jsonb) returns int language sql as $$
      with changed as (
        update work_orders w set status = x.status, updated_at = now()
        from jsonb_each_text(p_statuses) x(id, status)
        where w.id = x.id::uuid and w.status <> x.status
        returning 1
      )
      select count(*)::int from changed
    $$`.execute(db);

  await sql`
    create function audit_append(p_events jsonb) returns bigint language plpgsql as $$
    declare
      head record;
      seq bigint;
      prev text;
      at timestamptz := date_trunc('milliseconds', clock_timestamp());
      at_text text;
      e jsonb;
      h text;
    begin
      select last_sequence, last_hash into head from audit_chain where id for update;
      if not found then raise exception 'audit: the chain head row is missing'; end if;
      at_text := to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
      seq := head.last_sequence;
      prev := head.last_hash;
      for e in select value from jsonb_array_elements(p_events) loop
        seq := seq + 1;
        h := encode(sha256(convert_to((e->>'a') || at_text || '","prevHash":"' || prev || (e->>'b') || seq::text || (e->>'c'), 'UTF8')), 'hex');
        insert into audit_events (sequence, occurred_at, actor_kind, actor_subject, actor_name, actor_roles, action, entity_type, entity_id,
          before, after, request_id, source_ip, user_agent, prev_hash, hash)
        values (seq, at, e->>'actor_kind', e->>'actor_subject', e->>'actor_name', array(select jsonb_array_elements_text(e->'actor_roles')),
          e->>'action', e->>'entity_type', e->>'entity_id', nullif(e->'before', 'null'::jsonb), nullif(e->'after', 'null'::jsonb),
          e->>'request_id', e->>'source_ip', e->>'user_agent', prev, h);
        prev := h;
      end loop;
      update audit_chain set last_sequence = seq, last_hash = prev where id;
      return seq;
    end $$`.execute(db);
}
