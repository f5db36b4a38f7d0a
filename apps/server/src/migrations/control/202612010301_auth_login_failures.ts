import { sql, type Transaction } from 'kysely';

export const name = '202612010301_auth_login_failures';

/**
 * Failed sign-ins of the embedded provider, counted per account (across addresses) and per
 * address (across accounts), shared by every instance. One row per key, never evicted before its
 * window is over: a flood of other e-mails cannot push a victim's counter out.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.login_failures (
      key text primary key,
      failures integer not null,
      first_at timestamptz not null,
      blocked_until timestamptz
    )`.execute(db);
  await sql`create index login_failures_first_at_idx on control.login_failures (first_at)`.execute(db);
}
