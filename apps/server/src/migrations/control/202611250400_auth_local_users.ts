import { sql, type Transaction } from 'kysely';

export const name = '202611250400_auth_local_users';

/**
 * Accounts of the embedded identity provider (used when no external OIDC issuer is configured).
 * With Keycloak these stay empty: Yardmaster then stores no passwords at all.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.local_users (
      id uuid primary key default gen_random_uuid(),
      email text not null check (length(email) between 3 and 320),
      name text not null check (length(name) between 1 and 200),
      password_hash text not null,
      tenant_slug text references control.tenants (slug) on update cascade,
      roles text[] not null default '{}',
      active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index local_users_email_key on control.local_users (lower(email))`.execute(db);
}
