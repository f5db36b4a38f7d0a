import type { Membership } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { selectMembershipById, updateMembershipById } from './users.repo.js';
import { membershipView, type MemberAccounts } from './users.service.js';

/** A tenant admin signs a member out of every session (their next request must sign in again). */
export async function forceSignOutMember(tx: TenantTx, caller: Caller, id: string, accounts: MemberAccounts): Promise<void> {
  const member = await selectMembershipById(tx, id);
  if (!member) throw notFound('membership', id);
  if (member.subject === null)
    throw conflict('this person has not signed in yet: there is no session to end', [{ field: 'id', message: 'pending invitation' }]);
  await accounts.signOut(tx, member);
  await recordAudit(tx, caller, {
    action: 'membership.signed_out',
    entityType: 'membership',
    entityId: member.id,
    after: { subject: member.subject, email: member.email },
  });
}

/**
 * A tenant admin revokes a pending invitation: its links stop working and the membership is
 * deactivated (inviting the same e-mail again re-activates it with a new link).
 */
export async function revokeInvitation(tx: TenantTx, caller: Caller, id: string, accounts: MemberAccounts): Promise<Membership> {
  const before = await selectMembershipById(tx, id, true);
  if (!before) throw notFound('membership', id);
  if (before.subject !== null) throw conflict('this invitation has already been accepted', [{ field: 'id', message: 'not pending' }]);
  const hadLink = await accounts.revokeInvitation(tx, before);
  if (!hadLink && !before.active) throw conflict('this invitation is already revoked', [{ field: 'id', message: 'already revoked' }]);
  const after = before.active ? await updateMembershipById(tx, id, { active: false }) : before;
  await recordAudit(tx, caller, {
    action: 'membership.invitation_revoked',
    entityType: 'membership',
    entityId: id,
    before: { active: before.active },
    after: { active: after.active, email: after.email },
  });
  return membershipView(after);
}
