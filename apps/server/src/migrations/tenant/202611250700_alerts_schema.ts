import { sql, type Transaction } from 'kysely';

export const name = '202611250700_alerts_schema';

/** Operational alerts: one row per condition (key), raised once it has lasted long enough, resolved when it ends. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table alerts (
      id uuid primary key default gen_random_uuid(),
      key text not null unique,
      kind text not null check (kind in ('queued_too_long', 'urgent_queue_depth', 'qualification_expiring')),
      entity_type text not null,
      entity_id text not null,
      message text not null,
      details jsonb not null default '{}'::jsonb,
      first_seen_at timestamptz not null default now(),
      raised_at timestamptz,
      resolved_at timestamptz
    )`.execute(db);
  await sql`create index alerts_open_idx on alerts (raised_at desc) where resolved_at is null`.execute(db);
}
