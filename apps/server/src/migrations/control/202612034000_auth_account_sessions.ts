import { sql, type Transaction } from 'kysely';

export const name = '202612034000_auth_account_sessions';

/**
 * Sessions of the embedded identity provider as people see them: one row per sign-in (one
 * provider grant of the web client), with the browser that signed in, when, and when it last
 * renewed its tokens. The provider's own state (session, grant, refresh tokens) stays in
 * `control.oidc_payloads`; ending a session deletes it there. Only the server's own role reads
 * and writes this table: tenant transactions never touch it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.account_sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references control.local_users (id) on delete cascade,
      tenant_slug text references control.tenants (slug) on update cascade on delete cascade,
      grant_id text not null unique,
      session_uid text,
      user_agent text check (length(user_agent) <= 300),
      source_ip text check (length(source_ip) <= 100),
      signed_in_at timestamptz not null default now(),
      last_used_at timestamptz not null default now(),
      ended_at timestamptz,
      end_reason text check (end_reason in ('signed_out', 'signed_out_everywhere', 'forced', 'deactivated', 'replaced'))
    )`.execute(db);
  await sql`create index account_sessions_open_idx on control.account_sessions (user_id, signed_in_at) where ended_at is null`.execute(db);
  await sql`revoke all on control.account_sessions from public`.execute(db);
}
