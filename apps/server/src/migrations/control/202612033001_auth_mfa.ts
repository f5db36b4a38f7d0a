import { sql, type Transaction } from 'kysely';

export const name = '202612033001_auth_mfa';

/**
 * Multi-factor authentication of the embedded identity provider. `local_user_mfa`: a person's TOTP
 * secret (AES-256-GCM, the key in the data folder, never in the database), unconfirmed while the
 * enrolment is not finished, and the last time step accepted (a code is good once). Recovery codes:
 * an HMAC of each code (keyed like the secret), single use. A tenant's admins reset their own
 * tenant's people (row-level security, as for accounts and links); the operator's account
 * (tenant_slug null) is out of every tenant's reach.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.local_user_mfa (
      user_id uuid primary key references control.local_users (id) on delete cascade,
      tenant_slug text references control.tenants (slug) on update cascade on delete cascade,
      secret_enc text not null,
      confirmed_at timestamptz,
      last_step bigint not null default 0,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table control.local_user_recovery_codes (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references control.local_users (id) on delete cascade,
      tenant_slug text references control.tenants (slug) on update cascade on delete cascade,
      code_hash text not null check (length(code_hash) = 64),
      used_at timestamptz,
      created_at timestamptz not null default now(),
      unique (user_id, code_hash)
    )`.execute(db);
  for (const table of ['local_user_mfa', 'local_user_recovery_codes']) {
    await sql`alter table ${sql.id('control', table)} enable row level security`.execute(db);
    await sql`grant select, insert, update, delete on ${sql.id('control', table)} to public`.execute(db);
    await sql`
      create policy tenant_own_rows on ${sql.id('control', table)}
        using (tenant_slug is not null and control.tenant_role(tenant_slug) = current_user)
        with check (tenant_slug is not null and control.tenant_role(tenant_slug) = current_user)`.execute(db);
  }
}
