import type { CreatedTenant, CreateTenant, Tenant } from '@yardmaster/contracts';
import { migrations } from '../../migrations/index.js';
import type { Caller } from '../../platform/caller.js';
import { conflict } from '../../platform/errors.js';
import { dropTenantSchema, provisionTenant, withControl, withTenant, type Database, type TenantRecord } from '../../platform/db/index.js';
import { accountOfEmail } from '../auth/index.js';
import { inviteMember, type MemberInvitations } from '../users/index.js';

export function tenantView(row: TenantRecord): Tenant {
  return { id: row.id, slug: row.slug, name: row.name, timeZone: row.time_zone, createdAt: row.created_at.toISOString() };
}

/**
 * Provisions a tenant: registry row, schema, role and every tenant migration, all or nothing.
 * With `adminEmail`, its first admin is invited in the new tenant (audited there, by `caller`);
 * should that fail, the tenant is dropped again, so a failed request leaves nothing behind.
 */
export async function createTenant(
  database: Database,
  input: CreateTenant,
  options: { invitations?: MemberInvitations; caller?: (slug: string) => Caller } = {},
): Promise<CreatedTenant> {
  // A first admin whose e-mail has an account elsewhere is refused before anything is made.
  const firstAdmin = input.adminEmail;
  if (firstAdmin && options.invitations)
    await withControl(database.db, (tx) => accountOfEmail(tx, { tenantSlug: input.slug, email: firstAdmin }));
  let tenant: Tenant;
  try {
    tenant = tenantView(await provisionTenant(database.db, input, migrations.tenant));
  } catch (error) {
    // Two concurrent creates of one slug: the loser hits the unique index.
    if ((error as { code?: string }).code === '23505') {
      throw conflict(`a tenant with slug "${input.slug}" already exists`, [{ field: 'slug', message: 'already taken' }]);
    }
    throw error;
  }
  const { adminEmail } = input;
  if (!adminEmail || !options.caller) return { ...tenant, invitation: null };
  const caller = options.caller(tenant.slug);
  try {
    const { member } = await withTenant(database.db, tenant.slug, (tx) =>
      inviteMember(tx, caller, { email: adminEmail, name: input.adminName ?? '', roles: ['admin'], regions: [] }, options.invitations),
    );
    return { ...tenant, invitation: member.invitation };
  } catch (error) {
    await withControl(database.db, (tx) => dropTenantSchema(tx, tenant.slug));
    throw error;
  }
}
