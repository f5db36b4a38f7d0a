import { sql, type Transaction } from 'kysely';

export const name = '202612036001_auth_tenant_issuer_domains';

/**
 * E-mail domains a tenant declares for its own identity provider: the web sign-in page sends a
 * person whose address is in one of them to that provider. A domain belongs to one tenant at most
 * (the primary key), whichever tenant declares it first; the rows go with their registration.
 * Row-level security as on `control.tenant_issuers`: a tenant's admins see and change only theirs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.tenant_issuer_domains (
      domain text primary key check (domain = lower(domain) and length(domain) between 3 and 253),
      issuer_id uuid not null references control.tenant_issuers (id) on delete cascade,
      tenant_slug text not null references control.tenants (slug) on update cascade,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index tenant_issuer_domains_issuer_idx on control.tenant_issuer_domains (issuer_id)`.execute(db);
  await sql`alter table control.tenant_issuer_domains enable row level security`.execute(db);
  await sql`grant select, insert, update, delete on control.tenant_issuer_domains to public`.execute(db);
  await sql`
    create policy tenant_own_rows on control.tenant_issuer_domains
      using (control.tenant_role(tenant_slug) = current_user)
      with check (control.tenant_role(tenant_slug) = current_user)`.execute(db);
}
