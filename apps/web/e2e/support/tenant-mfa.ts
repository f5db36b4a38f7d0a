import pg from 'pg';
import { inject } from 'vitest';

/**
 * New tenants require two-step sign-in for admins and dispatchers (tenant setting `auth.mfa`).
 * Browser tests about something else (accounts, integrations, personal data) set up their own
 * tenant without it, as its admin could in Settings; `mfa.e2e.ts` covers enrolment itself.
 */
export async function withoutMfa(slug: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    await client.query(
      `insert into ${client.escapeIdentifier(`t_${slug}`)}.tenant_settings (key, value) values ('auth.mfa', '{"requiredRoles":[]}'::jsonb)
       on conflict (key) do update set value = excluded.value`,
    );
  } finally {
    await client.end();
  }
}
