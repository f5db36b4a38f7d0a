import { sql, type Transaction } from 'kysely';

export const name = '202612021002_auth_account_tokens';

/**
 * Single-use links of the embedded identity provider: invitations (set a first password),
 * password resets, and the short ticket that signs a person in right after they set a password.
 * Only a SHA-256 of each token is stored. An account may now exist without a password (invited,
 * not yet accepted). A tenant's admins invite inside their own tenant transaction, so the tenant
 * role may read and write its own tenant's accounts and links (row-level security), as it does
 * memberships; the operator's accounts (tenant_slug null) are out of every tenant's reach.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`alter table control.local_users alter column password_hash drop not null`.execute(db);
  await sql`
    create table control.account_tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references control.local_users (id) on delete cascade,
      tenant_slug text references control.tenants (slug) on update cascade on delete cascade,
      purpose text not null check (purpose in ('invitation', 'reset', 'signin')),
      token_hash text not null unique check (length(token_hash) = 64),
      expires_at timestamptz not null,
      used_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index account_tokens_user_idx on control.account_tokens (user_id, purpose) where used_at is null and revoked_at is null`.execute(
    db,
  );
  for (const table of ['local_users', 'account_tokens']) {
    await sql`alter table ${sql.id('control', table)} enable row level security`.execute(db);
    await sql`grant select, insert, update on ${sql.id('control', table)} to public`.execute(db);
    await sql`
      create policy tenant_own_rows on ${sql.id('control', table)}
        using (tenant_slug is not null and control.tenant_role(tenant_slug) = current_user)
        with check (tenant_slug is not null and control.tenant_role(tenant_slug) = current_user)`.execute(db);
  }
}
