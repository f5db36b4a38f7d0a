import type { Kysely } from 'kysely';
import type { ControlTables } from '../../platform/db/index.js';
import { insertMembershipIfAbsent, selectActiveMembershipsOfSubject, selectOrBindMembership } from './users.repo.js';

export type SignInMembership = { tenantSlug: string; roles: string[]; active: boolean; regions: string[] };

/**
 * The membership of the subject signing in to a tenant: by subject, else a pending invitation
 * for the token's (verified) e-mail, which is then bound to the subject and its issuer (so another
 * issuer trusted for the tenant cannot claim it with the same subject). Undefined when none.
 */
export async function findMembershipForSignIn(
  db: Kysely<ControlTables>,
  input: { tenantSlug: string; subject: string; issuer: string; email: string | null },
): Promise<SignInMembership | undefined> {
  const row = await selectOrBindMembership(db, input);
  return row ? { tenantSlug: row.tenant_slug, roles: row.roles, active: row.active, regions: row.regions } : undefined;
}

/** The one tenant a subject is an active member of, when the token names none (undefined if 0 or several). */
export async function soleTenantOfSubject(db: Kysely<ControlTables>, subject: string, issuer: string): Promise<string | undefined> {
  const rows = await selectActiveMembershipsOfSubject(db, subject, issuer);
  return rows.length === 1 ? rows[0]?.tenant_slug : undefined;
}

/** Seeding: a membership for a known subject, unless one exists. */
export async function ensureMembership(
  db: Kysely<ControlTables>,
  input: { tenantSlug: string; subject: string; email: string | null; name: string; roles: string[] },
): Promise<void> {
  await insertMembershipIfAbsent(db, {
    tenant_slug: input.tenantSlug,
    subject: input.subject,
    email: input.email,
    name: input.name,
    roles: input.roles,
  });
}
