import { sql, type Transaction } from 'kysely';

export const name = '202612010600_driver_app_files';

/**
 * The driver app and files: stored files (work-order attachments, proof photos and signatures; the
 * bytes live in object storage under `tenants/{tenant}/work-orders/{id}/…`), proof of completion
 * per dispatch, the offline action ledger (one row per client action id: applied once, refusals
 * kept with their reason, `occurred_at` beside `received_at`), Web Push subscriptions and the push
 * cursor, and links between related work orders. Owned by modules/files, modules/dispatch
 * (driver actions, proofs, links) and modules/push.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table files (
      id uuid primary key,
      work_order_id uuid not null references work_orders (id),
      dispatch_id uuid references dispatches (id),
      purpose text not null check (purpose in ('attachment', 'photo', 'signature')),
      storage_key text not null unique,
      filename text not null check (length(filename) between 1 and 200),
      content_type text not null,
      size_bytes bigint not null check (size_bytes > 0),
      sha256 text not null,
      created_by_subject text not null,
      created_by_name text not null,
      created_at timestamptz not null default now(),
      deleted_at timestamptz
    )`.execute(db);
  await sql`create index files_by_work_order on files (work_order_id, created_at) where deleted_at is null`.execute(db);
  await sql`create index files_by_dispatch on files (dispatch_id) where dispatch_id is not null and deleted_at is null`.execute(db);
  await sql`
    create table dispatch_proofs (
      dispatch_id uuid primary key references dispatches (id),
      signer_name text check (length(signer_name) <= 200),
      signature_file_id uuid references files (id),
      photo_file_ids uuid[] not null default '{}',
      notes text check (length(notes) <= 5000),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table driver_actions (
      id uuid primary key,
      dispatch_id uuid not null references dispatches (id),
      driver_id uuid not null references drivers (id),
      action text not null,
      occurred_at timestamptz not null,
      received_at timestamptz not null default now(),
      outcome text not null check (outcome in ('applied', 'refused')),
      reason text,
      from_status text not null,
      to_status text,
      result_version integer,
      undone_at timestamptz
    )`.execute(db);
  await sql`create index driver_actions_by_dispatch on driver_actions (dispatch_id, received_at)`.execute(db);
  await sql`
    create table push_subscriptions (
      id uuid primary key default gen_random_uuid(),
      driver_id uuid not null references drivers (id),
      endpoint text not null unique check (length(endpoint) <= 2000),
      p256dh text not null,
      auth text not null,
      created_at timestamptz not null default now(),
      last_sent_at timestamptz,
      failures integer not null default 0
    )`.execute(db);
  await sql`create index push_subscriptions_by_driver on push_subscriptions (driver_id)`.execute(db);
  await sql`create table push_cursor (id boolean primary key default true check (id), last_event_id bigint not null default 0)`.execute(db);
  await sql`insert into push_cursor (id, last_event_id) values (true, coalesce((select max(id) from live_events), 0))`.execute(db);
  await sql`
    create table work_order_links (
      work_order_id uuid not null references work_orders (id),
      related_id uuid not null references work_orders (id),
      created_at timestamptz not null default now(),
      primary key (work_order_id, related_id),
      check (work_order_id < related_id)
    )`.execute(db);
  await sql`create index work_order_links_by_related on work_order_links (related_id)`.execute(db);
}
