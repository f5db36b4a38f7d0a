import { sql, type Transaction } from 'kysely';

export const name = '202612035001_integrations_service_accounts';

/**
 * Service accounts of integrations: an OAuth 2.0 client (client-credentials grant at the embedded
 * provider) with a tenant and roles. Only a SHA-256 of the secret is kept (the secret is 256
 * random bits: nothing to brute-force, so a slow password hash would only cost CPU at the token
 * endpoint). Control schema: the provider finds a client by its id before it knows the tenant;
 * administered by the tenant's admins in their tenant transaction (row-level security, as
 * memberships), so the change and its audit event commit together.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.service_accounts (
      id uuid primary key default gen_random_uuid(),
      tenant_slug text not null references control.tenants (slug) on update cascade on delete cascade,
      client_id text not null unique check (client_id ~ '^ymsa-[0-9a-f]{24}$'),
      name text not null check (length(name) between 1 and 100),
      roles text[] not null check (cardinality(roles) between 1 and 2 and roles <@ array['dispatcher', 'viewer']),
      secret_hash text not null check (length(secret_hash) = 64),
      secret_rotated_at timestamptz not null default now(),
      revoked_at timestamptz,
      last_token_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index service_accounts_tenant_idx on control.service_accounts (tenant_slug, created_at)`.execute(db);
  await sql`alter table control.service_accounts enable row level security`.execute(db);
  await sql`grant select, insert, update on control.service_accounts to public`.execute(db);
  await sql`
    create policy tenant_own_rows on control.service_accounts
      using (control.tenant_role(tenant_slug) = current_user)
      with check (control.tenant_role(tenant_slug) = current_user)`.execute(db);
}
