import { createHash, createHmac, randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';

export const name = '202612037000_audit_keyed_personal_hash';

/** HMAC-SHA-256's inner and outer keys (RFC 2104): the key, zero-padded to 64 bytes, XOR 0x36 / 0x5c. */
function hmacPads(key: Buffer): { inner: Buffer; outer: Buffer } {
  const block = Buffer.alloc(64);
  key.copy(block);
  return { inner: Buffer.from(block.map((b) => b ^ 0x36)), outer: Buffer.from(block.map((b) => b ^ 0x5c)) };
}

/**
 * Audit events hash a keyed hash of personal fields, not the fields (decision 0012): erasure can
 * then replace a person's name and e-mail in the trail with a pseudonym and the chain still verifies.
 *
 * - `audit_secret`: the tenant's 32-byte HMAC key (and its RFC 2104 pads, so SQL computes
 *   HMAC-SHA-256 with two `sha256` calls). Outside the audit rows, never in an API answer or
 *   export; the tenant role may read it (the app hashes and verifies with it) but not change it.
 * - `audit_events.personal`: per event, the HMAC of each personal value by path (`actor/name`,
 *   `after/email`, …); null for events written before this migration (hash version 1, verified as
 *   before). From now on the event's hash covers `"hmac-sha256:<hex>"` in place of each personal
 *   value (`modules/audit/audit.hash.ts` `personalHashedContent`).
 * - `audit_erasures`: the pseudonyms erasure has used (insert-only). The verifier accepts a personal
 *   value that no longer matches its HMAC only when it is a registered pseudonym.
 * - The append-only guard lets one kind of UPDATE through: only `actor_name`, `before`, `after` of
 *   a keyed-hash event change, `personal` and everything hashed stay, and the transaction has named
 *   a registered pseudonym (`ym.audit_pseudonym`). The tenant role gets UPDATE on those three
 *   columns only; DELETE and TRUNCATE stay refused to everyone.
 * - `audit_append` fills the HMACs in while it appends (still one statement, under the chain lock).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  const key = randomBytes(32);
  const { inner, outer } = hmacPads(key);
  // Self-check of the pads against Node's HMAC, so SQL and the verifier can never disagree silently.
  const innerHash = createHash('sha256')
    .update(Buffer.concat([inner, Buffer.from('probe')]))
    .digest();
  if (
    createHash('sha256')
      .update(Buffer.concat([outer, innerHash]))
      .digest('hex') !== createHmac('sha256', key).update('probe').digest('hex')
  )
    throw new Error('audit: HMAC pads are wrong');

  await sql`
    create table audit_secret (
      id boolean primary key default true check (id),
      key bytea not null check (length(key) = 32),
      inner_pad bytea not null check (length(inner_pad) = 64),
      outer_pad bytea not null check (length(outer_pad) = 64),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`insert into audit_secret (key, inner_pad, outer_pad) values (${key}, ${inner}, ${outer})`.execute(db);

  await sql`
    create table audit_erasures (
      pseudonym text primary key check (pseudonym ~ '^erased-[0-9a-f]{12}$'),
      erased_at timestamptz not null default now()
    )`.execute(db);

  await sql`alter table audit_events add column personal jsonb`.execute(db);

  await sql`
    create function audit_events_guard() returns trigger language plpgsql as $$
    declare
      registered boolean;
    begin
      if tg_op = 'UPDATE' and old.personal is not null and new.personal = old.personal
        and (new.sequence, new.occurred_at, new.actor_kind, new.actor_subject, new.actor_roles, new.action, new.entity_type,
             new.entity_id, new.request_id, new.source_ip, new.user_agent, new.prev_hash, new.hash)
            is not distinct from
            (old.sequence, old.occurred_at, old.actor_kind, old.actor_subject, old.actor_roles, old.action, old.entity_type,
             old.entity_id, old.request_id, old.source_ip, old.user_agent, old.prev_hash, old.hash)
        and coalesce(current_setting('ym.audit_pseudonym', true), '') <> ''
      then
        -- The registry of the table's own schema (the guard may run under any search_path).
        execute format('select exists (select 1 from %I.audit_erasures where pseudonym = $1)', tg_table_schema)
          into registered using current_setting('ym.audit_pseudonym', true);
        if registered then
          return new;
        end if;
      end if;
      raise exception 'the audit trail is append-only: % on % refused', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`drop trigger audit_events_no_update_delete on audit_events`.execute(db);
  await sql`create trigger audit_events_no_update_delete before update or delete on audit_events for each row execute function audit_events_guard()`.execute(
    db,
  );

  await sql`
    do $$
    declare r text := control.tenant_role(substr(current_setting('search_path'), 3));
    begin
      execute format('revoke insert, update, delete, truncate on audit_secret from %I', r);
      execute format('revoke update, delete, truncate on audit_erasures from %I', r);
      execute format('grant update (actor_name, before, after) on audit_events to %I', r);
    end $$`.execute(db);

  await sql`
    create or replace function audit_append(p_events jsonb) returns bigint language plpgsql as $$
    declare
      head record;
      k record;
      seq bigint;
      prev text;
      at timestamptz := date_trunc('milliseconds', clock_timestamp());
      at_text text;
      e jsonb;
      h text;
      txt text;
      d text;
      dig jsonb;
      i int;
    begin
      select last_sequence, last_hash into head from audit_chain where id for update;
      if not found then raise exception 'audit: the chain head row is missing'; end if;
      select inner_pad, outer_pad into k from audit_secret where id;
      if not found then raise exception 'audit: the tenant''s audit key is missing'; end if;
      at_text := to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
      seq := head.last_sequence;
      prev := head.last_hash;
      for e in select value from jsonb_array_elements(p_events) loop
        seq := seq + 1;
        txt := e->'s'->>0;
        dig := '{}'::jsonb;
        for i in 0 .. jsonb_array_length(e->'p') - 1 loop
          d := encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(e->'p'->i->>'v', 'UTF8'))), 'hex');
          txt := txt || '"hmac-sha256:' || d || '"' || (e->'s'->>(i + 1));
          dig := dig || jsonb_build_object(e->'p'->i->>'k', d);
        end loop;
        h := encode(sha256(convert_to(txt || at_text || '","prevHash":"' || prev || (e->>'b') || seq::text || (e->>'c'), 'UTF8')), 'hex');
        insert into audit_events (sequence, occurred_at, actor_kind, actor_subject, actor_name, actor_roles, action, entity_type, entity_id,
          before, after, request_id, source_ip, user_agent, prev_hash, hash, personal)
        values (seq, at, e->>'actor_kind', e->>'actor_subject', e->>'actor_name', array(select jsonb_array_elements_text(e->'actor_roles')),
          e->>'action', e->>'entity_type', e->>'entity_id', nullif(e->'before', 'null'::jsonb), nullif(e->'after', 'null'::jsonb),
          e->>'request_id', e->>'source_ip', e->>'user_agent', prev, h, dig);
        prev := h;
      end loop;
      update audit_chain set last_sequence = seq, last_hash = prev where id;
      return seq;
    end $$`.execute(db);
}
