import type { InvitationLink, InvitedMember, InviteMember, Membership, Role, UpdateMember } from '@yardmaster/contracts';
import { ROLES } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { conflict, notFound, staleVersion } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { assertRegionsExist } from '../regions/index.js';
import {
  insertMembership,
  pseudonymiseMembershipById,
  selectMembershipById,
  selectMembershipByIdentity,
  selectMembershipsPage,
  updateMembershipById,
  type MembershipRow,
} from './users.repo.js';

const rolesOf = (roles: string[]): Role[] => roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r));

export function membershipView(row: MembershipRow): Membership {
  return {
    id: row.id,
    subject: row.subject,
    email: row.email,
    name: row.name,
    roles: rolesOf(row.roles),
    regions: row.regions,
    active: row.active,
    pending: row.subject === null,
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const audited = (row: MembershipRow): Record<string, unknown> => ({
  subject: row.subject,
  email: row.email,
  name: row.name,
  roles: row.roles,
  regions: row.regions,
  active: row.active,
});

export async function listMembers(tx: TenantTx, _caller: Caller, input: { limit: number; cursor?: string; active?: 'true' | 'false' }) {
  const rows = await selectMembershipsPage(tx, {
    limit: input.limit,
    after: input.cursor,
    active: input.active === undefined ? undefined : input.active === 'true',
  });
  const page = rows.slice(0, input.limit);
  return { items: page.map(membershipView), nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}

export async function getMember(tx: TenantTx, _caller: Caller, id: string): Promise<Membership> {
  const row = await selectMembershipById(tx, id);
  if (!row) throw notFound('membership', id);
  return membershipView(row);
}

/**
 * How invitation links are made (the embedded identity provider's accounts), injected by the
 * composition root; absent when an external provider owns accounts. Runs in the caller's
 * tenant transaction, so the membership, the account and its link commit together.
 */
export type MemberInvitations = (tx: TenantTx, input: { tenantSlug: string; email: string; name: string }) => Promise<InvitationLink>;

/** Who a membership is, as the identity provider's accounts know it. */
export type MemberIdentity = { subject: string | null; email: string | null };

/**
 * The accounts behind memberships (the embedded identity provider), injected by the composition
 * root; absent when an external provider owns accounts. Each call runs in the admin's tenant
 * transaction; sessions end once it commits.
 */
export type MemberAccounts = {
  /** The account follows the membership: deactivated (its sessions, refresh and access tokens end) or reactivated. */
  setActive: (tx: TenantTx, member: MemberIdentity, active: boolean) => Promise<void>;
  /** Ends every session of the member's account. */
  signOut: (tx: TenantTx, member: MemberIdentity) => Promise<void>;
  /** Revokes the member's open invitation links; false when there was none. */
  revokeInvitation: (tx: TenantTx, member: MemberIdentity) => Promise<boolean>;
};

/**
 * Invites someone. Inviting an e-mail whose invitation is still pending again re-sends it: the
 * membership stays, the previous link is revoked and a new one made (`reinvited`).
 */
export async function inviteMember(
  tx: TenantTx,
  caller: Caller,
  input: InviteMember,
  invitations?: MemberInvitations,
): Promise<{ member: InvitedMember; reinvited: boolean }> {
  await assertRegionsExist(tx, input.regions, 'regions');
  const existing = await selectMembershipByIdentity(tx, { subject: input.subject, email: input.email });
  const canReinvite =
    existing !== undefined &&
    existing.subject === null &&
    input.subject === undefined &&
    input.email !== undefined &&
    invitations !== undefined;
  if (existing && !canReinvite) {
    throw conflict('this person is already a member of the tenant', [
      { field: input.subject ? 'subject' : 'email', message: 'already a member' },
    ]);
  }
  // Re-inviting after the invitation was revoked makes the membership active again.
  const reactivated = existing && !existing.active ? await updateMembershipById(tx, existing.id, { active: true }) : undefined;
  const row =
    reactivated ??
    existing ??
    (await insertMembership(tx, {
      tenant_slug: caller.tenantSlug,
      subject: input.subject ?? null,
      email: input.email?.toLowerCase() ?? null,
      name: input.name,
      roles: [...new Set(input.roles)],
      regions: [...new Set(input.regions)],
    }));
  const invitation =
    invitations && row.subject === null && row.email
      ? await invitations(tx, { tenantSlug: caller.tenantSlug, email: row.email, name: row.name })
      : null;
  await recordAudit(tx, caller, {
    action: existing ? 'membership.reinvited' : 'membership.invited',
    entityType: 'membership',
    entityId: row.id,
    before: existing ? audited(existing) : null,
    after: { ...audited(row), ...(invitation ? { invitationExpiresAt: invitation.expiresAt } : {}) },
  });
  return { member: { ...membershipView(row), invitation }, reinvited: existing !== undefined };
}

export async function updateMember(
  tx: TenantTx,
  caller: Caller,
  input: { id: string; version: number; changes: UpdateMember },
  accounts?: MemberAccounts,
): Promise<Membership> {
  const before = await selectMembershipById(tx, input.id, true);
  if (!before) throw notFound('membership', input.id);
  if (before.version !== input.version) throw staleVersion('membership', input.id);
  const { changes } = input;
  if (changes.regions) await assertRegionsExist(tx, changes.regions, 'regions');
  if (before.subject !== null && before.subject === caller.subject) {
    if (changes.active === false)
      throw conflict('you cannot deactivate your own membership', [{ field: 'active', message: 'ask another admin' }]);
    if (changes.roles && !changes.roles.includes('admin'))
      throw conflict('you cannot remove your own admin role', [{ field: 'roles', message: 'ask another admin' }]);
  }
  // The account (embedded provider) follows: deactivated, its sessions and tokens end once this commits.
  if (accounts && changes.active !== undefined && changes.active !== before.active) await accounts.setActive(tx, before, changes.active);
  const after = await updateMembershipById(tx, input.id, {
    ...changes,
    ...(changes.roles ? { roles: [...new Set(changes.roles)] } : {}),
    ...(changes.regions ? { regions: [...new Set(changes.regions)] } : {}),
  });
  const action =
    changes.active === false && before.active
      ? 'membership.deactivated'
      : changes.active === true && !before.active
        ? 'membership.reactivated'
        : 'membership.updated';
  await recordAudit(tx, caller, { action, entityType: 'membership', entityId: after.id, before: audited(before), after: audited(after) });
  return membershipView(after);
}

/** One member, its row locked until commit (erasure reads and rewrites it in one transaction). */
export async function lockMember(tx: TenantTx, id: string): Promise<Membership> {
  const row = await selectMembershipById(tx, id, true);
  if (!row) throw notFound('membership', id);
  return membershipView(row);
}

/**
 * Erasure (modules/privacy): the membership keeps its id, subject and roles, is deactivated (every
 * request of the person is refused from now on, `auth.verify`), and its name and e-mail become the
 * pseudonym. Not audited here: the privacy module records one `person.erased` event that names
 * no personal data.
 */
export async function pseudonymiseMembership(tx: TenantTx, id: string, pseudonym: { name: string; email: string }): Promise<Membership> {
  return membershipView(await pseudonymiseMembershipById(tx, id, pseudonym));
}
