import { sql, type Transaction } from 'kysely';

export const name = '202611250420_audit_events';

/**
 * The audit trail (owned by modules/audit): an append-only, hash-chained event table and a
 * single-row chain head whose row lock serialises the tenant's writers, so sequences are gap-free
 * and commit in order. UPDATE/DELETE/TRUNCATE are refused by triggers (even for the owner) and
 * revoked from the tenant role.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table audit_chain (
      id boolean primary key default true check (id),
      last_sequence bigint not null check (last_sequence >= 0),
      last_hash text not null
    )`.execute(db);
  await sql`insert into audit_chain (id, last_sequence, last_hash) values (true, 0, repeat('0', 64))`.execute(db);

  await sql`
    create table audit_events (
      sequence bigint primary key check (sequence > 0),
      occurred_at timestamptz not null,
      actor_kind text not null check (actor_kind in ('user', 'system')),
      actor_subject text not null,
      actor_name text not null,
      actor_roles text[] not null,
      action text not null check (length(action) between 1 and 100),
      entity_type text not null check (length(entity_type) between 1 and 100),
      entity_id text not null check (length(entity_id) between 1 and 200),
      before jsonb,
      after jsonb,
      request_id text,
      source_ip text,
      user_agent text,
      prev_hash text not null check (prev_hash ~ '^[0-9a-f]{64}$'),
      hash text not null check (hash ~ '^[0-9a-f]{64}$')
    )`.execute(db);
  await sql`create index audit_events_entity on audit_events (entity_type, entity_id, sequence)`.execute(db);
  await sql`create index audit_events_actor on audit_events (actor_subject, sequence)`.execute(db);
  await sql`create index audit_events_action on audit_events (action, sequence)`.execute(db);
  await sql`create index audit_events_time on audit_events (occurred_at)`.execute(db);

  await sql`
    create function audit_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'the audit trail is append-only: % on % refused', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger audit_events_no_update_delete before update or delete on audit_events for each row execute function audit_refuse_change()`.execute(
    db,
  );
  await sql`create trigger audit_events_no_truncate before truncate on audit_events for each statement execute function audit_refuse_change()`.execute(
    db,
  );
  await sql`create trigger audit_chain_no_delete before delete on audit_chain for each row execute function audit_refuse_change()`.execute(
    db,
  );
  await sql`create trigger audit_chain_no_truncate before truncate on audit_chain for each statement execute function audit_refuse_change()`.execute(
    db,
  );

  await sql`
    do $$
    -- The tenant's role (per database since 202612021000; see platform/db/scope.ts tenantRole).
    declare r text := control.tenant_role(substr(current_setting('search_path'), 3));
    begin
      execute format('revoke update, delete, truncate on audit_events from %I', r);
      execute format('revoke insert, delete, truncate on audit_chain from %I', r);
    end $$`.execute(db);
}
