import { sql, type Transaction } from 'kysely';

export const name = '202611250301_platform_tenant_settings';

/**
 * A tenant schema's first table: a single-row key/value store for the tenant's own settings
 * (automatic queue processing, ageing, alert thresholds…), readable inside tenant transactions.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table tenant_settings (
      key text primary key check (key ~ '^[a-z][a-z0-9_.]{0,99}$'),
      value jsonb not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
}
