import { sql, type Transaction } from 'kysely';

export const name = '202611250530_work_orders_schema';

/** Work orders and their lines (equipment type × quantity). Owned by modules/work-orders. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`create table work_order_counter (id boolean primary key default true check (id), last_number integer not null default 0)`.execute(
    db,
  );
  await sql`insert into work_order_counter default values`.execute(db);
  await sql`
    create table work_orders (
      id uuid primary key default gen_random_uuid(),
      number text not null unique,
      site_id uuid not null references sites (id),
      description text not null check (length(description) between 1 and 5000),
      priority text not null check (priority in ('urgent', 'standard', 'low')),
      requested_start timestamptz not null,
      due_at timestamptz,
      notes text check (length(notes) <= 5000),
      status text not null default 'pending' check (status in ('pending', 'assigned', 'completed', 'cancelled')),
      created_by_subject text not null,
      created_by_name text not null,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (due_at is null or due_at >= requested_start)
    )`.execute(db);
  await sql`create index work_orders_created_idx on work_orders (created_at desc, id desc)`.execute(db);
  await sql`create index work_orders_status_idx on work_orders (status, created_at desc)`.execute(db);
  await sql`
    create table work_order_lines (
      id uuid primary key default gen_random_uuid(),
      work_order_id uuid not null references work_orders (id) on delete cascade,
      line_no integer not null check (line_no between 1 and 100),
      equipment_type_id uuid not null references equipment_types (id),
      quantity integer not null check (quantity between 1 and 100),
      equipment_id uuid references equipment (id),
      unique (work_order_id, line_no)
    )`.execute(db);
}
