import { sql, type Transaction } from 'kysely';

export const name = '202611250450_notifications_events';

/**
 * Live events and outbound webhooks (owned by modules/notifications).
 *
 * `live_counter` is a one-row counter: every publisher takes its row lock with
 * `update … returning` and holds it until commit, so a tenant's event ids are allocated in commit
 * order — a reader replaying "id > last" never skips an event that commits late.
 * `purged_through` is the highest id removed by the retention purge (a client behind it resyncs).
 *
 * Webhooks: subscriptions (admin-managed), an outbox of deliveries written in the publisher's
 * transaction, and an attempt log.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table live_counter (
      id boolean primary key default true check (id),
      last_id bigint not null check (last_id >= 0),
      purged_through bigint not null default 0 check (purged_through >= 0)
    )`.execute(db);
  await sql`insert into live_counter (id, last_id) values (true, 0)`.execute(db);

  await sql`
    create table live_events (
      id bigint primary key check (id > 0),
      type text not null check (length(type) between 1 and 100),
      entity_type text not null check (length(entity_type) between 1 and 100),
      entity_id text not null check (length(entity_id) between 1 and 200),
      data jsonb not null,
      driver_ids text[],
      occurred_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index live_events_time on live_events (occurred_at)`.execute(db);

  await sql`
    create table webhook_subscriptions (
      id uuid primary key default gen_random_uuid(),
      url text not null check (url ~ '^https?://' and length(url) <= 2000),
      event_types text[] not null,
      secret text not null,
      description text,
      active boolean not null default true,
      created_at timestamptz not null default now(),
      version integer not null default 1
    )`.execute(db);

  await sql`
    create table webhook_deliveries (
      id uuid primary key default gen_random_uuid(),
      subscription_id uuid not null references webhook_subscriptions (id) on delete cascade,
      event_id bigint not null,
      event_type text not null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      last_error text,
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      unique (subscription_id, event_id)
    )`.execute(db);
  await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db);
  await sql`create index webhook_deliveries_subscription on webhook_deliveries (subscription_id, created_at, id)`.execute(db);

  await sql`
    create table webhook_attempts (
      id bigint generated always as identity primary key,
      delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
      attempted_at timestamptz not null default now(),
      status_code integer,
      error text,
      duration_ms integer not null
    )`.execute(db);
  await sql`create index webhook_attempts_delivery on webhook_attempts (delivery_id, id)`.execute(db);
}
