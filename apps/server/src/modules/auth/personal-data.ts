import { sql } from 'kysely';
import type { PersonalAccount } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import { accountsOf, revokeAccountTokens } from './account-links.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The person's embedded-provider account in this tenant: the account whose id is their subject (the
 * embedded provider's `sub`), or else the one with their e-mail. Row-level security shows the
 * tenant's own accounts only. None with an external identity provider.
 */
export async function findPersonAccount(
  tx: TenantTx,
  person: { subject: string | null; email: string | null },
): Promise<PersonalAccount | null> {
  const { subject, email } = person;
  const byId = subject !== null && UUID.test(subject) ? subject : null;
  if (byId === null && email === null) return null;
  const row = await accountsOf(tx)
    .selectFrom('control.local_users')
    .select(['id', 'email', 'name', 'active', 'created_at'])
    .where((eb) =>
      eb.or([
        ...(byId !== null ? [eb('id', '=', byId)] : []),
        ...(email !== null ? [eb(eb.fn('lower', ['email']), '=', email.toLowerCase())] : []),
      ]),
    )
    .orderBy(sql`id::text = ${byId ?? ''}`, 'desc')
    .limit(1)
    .executeTakeFirst();
  return row
    ? { id: row.id, email: row.email, name: row.name, active: row.active, createdAt: new Date(row.created_at).toISOString() }
    : null;
}

/**
 * Erasure: the account's name and e-mail become the pseudonym, it is deactivated (no sign-in) and
 * its password and open links (invitation, reset) are gone. Ending its running sessions at once is
 * the sessions helper's job; until the two meet, the deactivated membership already refuses every
 * API request of the person.
 */
export async function eraseAccount(tx: TenantTx, accountId: string, pseudonym: { name: string; email: string }): Promise<void> {
  const db = accountsOf(tx);
  await db
    .updateTable('control.local_users')
    .set({ name: pseudonym.name, email: pseudonym.email, active: false, password_hash: null, updated_at: sql`now()` })
    .where('id', '=', accountId)
    .execute();
  await revokeAccountTokens(db, accountId, ['invitation', 'reset', 'signin']);
}
