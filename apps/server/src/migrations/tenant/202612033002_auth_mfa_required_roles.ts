import { sql, type Transaction } from 'kysely';

export const name = '202612033002_auth_mfa_required_roles';

/**
 * The roles that must use MFA with the embedded identity provider (tenant setting `auth.mfa`):
 * every tenant starts with `admin` and `dispatcher`, except the demo tenant (schema `t_demo`),
 * whose published demo accounts sign in with a password only. A tenant without the row requires
 * none. Admins change it with PUT /api/v1/settings/mfa.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    insert into tenant_settings (key, value)
    select 'auth.mfa', '{"requiredRoles":["admin","dispatcher"]}'::jsonb
    where current_schema() <> 't_demo'
    on conflict (key) do nothing`.execute(db);
}
