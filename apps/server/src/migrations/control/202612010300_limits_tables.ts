import { sql, type Transaction } from 'kysely';

export const name = '202612010300_limits_tables';

/**
 * Rate limits and live-stream caps, shared by every server instance.
 *  - `tenant_plans`: the plan an operator gave a tenant (absent → RATE_LIMIT_DEFAULT_PLAN).
 *  - `rate_buckets`: one token bucket per user and per tenant, checked and debited by one atomic
 *    statement per request. UNLOGGED: no WAL, so a check never waits for a disk flush; after a
 *    database crash the buckets start full again, which is harmless.
 *  - `live_streams`: the open SSE streams of every instance, kept alive by the instance's
 *    heartbeat; the rows of an instance that died expire on their own. UNLOGGED as well: after a
 *    database crash every stream reconnects and registers again.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.tenant_plans (
      tenant_slug text primary key references control.tenants (slug) on update cascade on delete cascade,
      plan text not null check (plan ~ '^[a-z][a-z0-9_-]{0,39}$'),
      changed_by text not null,
      changed_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create unlogged table control.rate_buckets (
      key text primary key,
      tokens double precision not null,
      at timestamptz not null
    )`.execute(db);
  await sql`create index rate_buckets_at_idx on control.rate_buckets (at)`.execute(db);
  await sql`
    create unlogged table control.live_streams (
      id uuid primary key,
      instance_id uuid not null,
      tenant_slug text not null,
      user_key text not null,
      opened_at timestamptz not null default now(),
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index live_streams_tenant_idx on control.live_streams (tenant_slug, expires_at)`.execute(db);
  await sql`create index live_streams_user_idx on control.live_streams (user_key, expires_at)`.execute(db);
  await sql`create index live_streams_instance_idx on control.live_streams (instance_id)`.execute(db);
}
