import { sql, type Kysely } from 'kysely';
import { databaseOf, onCommit, type ControlTables, type TenantTx } from '../../platform/db/index.js';
import type { MemberAccounts, MemberIdentity } from '../users/index.js';
import { accountsOf, revokeAccountTokens } from './account-links.js';
import { endAllSessions } from './account-sessions.js';
import type { AccountSessionEndReason } from './auth.tables.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The member's account of this tenant (row-level security keeps the lookup to the tenant's own accounts). */
async function accountIdOf(db: Kysely<ControlTables>, member: MemberIdentity): Promise<string | undefined> {
  if (member.subject !== null) {
    if (!UUID.test(member.subject)) return undefined; // a subject of another provider: no account here
    const row = await db.selectFrom('control.local_users').select('id').where('id', '=', member.subject).executeTakeFirst();
    return row?.id;
  }
  if (!member.email) return undefined;
  const email = member.email.toLowerCase();
  const row = await db
    .selectFrom('control.local_users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .executeTakeFirst();
  return row?.id;
}

/** Once the admin's transaction commits, every session of the account ends (control schema, the server's role). */
function endSessionsOnCommit(tx: TenantTx, userId: string, reason: AccountSessionEndReason): void {
  const root = databaseOf(tx);
  onCommit(tx, async () => {
    await endAllSessions(root, userId, reason);
  });
}

/**
 * The embedded provider's side of membership administration (users module): a deactivated member's
 * account is deactivated with it (no sign-in, links revoked) and its sessions end; a force
 * sign-out ends them without deactivating. Within the tenant transaction the account row changes
 * under row-level security; the provider's session records go once it commits. Should that step
 * fail, an inactive account still gets no token: the provider finds no account to refresh for, and
 * the API refuses tokens whose account is inactive.
 */
export function createMemberAccounts(): MemberAccounts {
  return {
    async setActive(tx, member, active) {
      const db = accountsOf(tx);
      const id = await accountIdOf(db, member);
      if (!id) return;
      await db
        .updateTable('control.local_users')
        .set({ active, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute();
      if (!active) {
        await revokeAccountTokens(db, id, ['invitation', 'reset', 'signin']);
        endSessionsOnCommit(tx, id, 'deactivated');
      }
    },
    async signOut(tx, member) {
      const id = await accountIdOf(accountsOf(tx), member);
      if (id) endSessionsOnCommit(tx, id, 'forced');
    },
    async revokeInvitation(tx, member) {
      const db = accountsOf(tx);
      const id = await accountIdOf(db, member);
      if (!id) return false;
      const result = await db
        .updateTable('control.account_tokens')
        .set({ revoked_at: sql<Date>`now()` })
        .where('user_id', '=', id)
        .where('purpose', '=', 'invitation')
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', sql<Date>`now()`)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
