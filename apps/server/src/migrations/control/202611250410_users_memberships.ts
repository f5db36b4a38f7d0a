import { sql, type Transaction } from 'kysely';

export const name = '202611250410_users_memberships';

/**
 * Tenant memberships (OIDC subject → tenant, roles, active) and the identity providers a tenant
 * brings itself. Both live in the control schema (the authenticator reads them before it knows
 * the tenant) but are administered by each tenant's admins inside tenant transactions, so that
 * the change and its audit event commit together. Row-level security lets a tenant's database
 * role (`ym_t_<slug>`) see and change only its own tenant's rows; the server's own (owner)
 * connection is not subject to it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.memberships (
      id uuid primary key default gen_random_uuid(),
      tenant_slug text not null references control.tenants (slug) on update cascade,
      subject text check (subject is null or length(subject) between 1 and 255),
      -- The issuer the subject was first seen from (null: any issuer trusted for the tenant).
      issuer text,
      email text check (email is null or length(email) between 3 and 320),
      name text not null default '' check (length(name) <= 200),
      roles text[] not null default '{}',
      active boolean not null default true,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (subject is not null or email is not null)
    )`.execute(db);
  await sql`create unique index memberships_tenant_subject_key on control.memberships (tenant_slug, subject)`.execute(db);
  await sql`create unique index memberships_tenant_email_pending_key on control.memberships (tenant_slug, lower(email)) where subject is null`.execute(
    db,
  );
  await sql`create index memberships_subject_idx on control.memberships (subject)`.execute(db);

  await sql`
    create table control.tenant_issuers (
      id uuid primary key default gen_random_uuid(),
      tenant_slug text not null references control.tenants (slug) on update cascade,
      issuer text not null check (issuer ~ '^https?://' and length(issuer) <= 500),
      audience text not null check (length(audience) between 1 and 200),
      client_id text check (client_id is null or length(client_id) between 1 and 200),
      role_mapping jsonb not null default '{}'::jsonb,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  // One tenant per (issuer, audience): a token can never be valid for two tenants.
  await sql`create unique index tenant_issuers_issuer_audience_key on control.tenant_issuers (issuer, audience)`.execute(db);

  await sql`grant usage on schema control to public`.execute(db);
  for (const table of ['memberships', 'tenant_issuers']) {
    await sql`alter table ${sql.id('control', table)} enable row level security`.execute(db);
    await sql`grant select, insert, update, delete on ${sql.id('control', table)} to public`.execute(db);
    await sql`
      create policy tenant_own_rows on ${sql.id('control', table)}
        using ('ym_t_' || tenant_slug = current_user)
        with check ('ym_t_' || tenant_slug = current_user)`.execute(db);
  }
}
