import { sql, type Kysely } from 'kysely';
import { onCommit, withControl, type ControlTables, type TenantTx } from '../../platform/db/index.js';
import { conflict } from '../../platform/errors.js';
import type { MemberInvitations } from '../users/index.js';
import { accountsOf, issueAccountToken, LINK_TTL_MS, setPasswordUrl, type AccountLink } from './account-links.js';

/** Where links are announced once their transaction commits (the server log, e-mail). */
export type LinkAnnouncer = (link: {
  purpose: 'invitation' | 'reset';
  email: string;
  name: string;
  tenantSlug: string | null;
  url: string;
  expiresAt: string;
}) => void | Promise<void>;

const displayName = (name: string, email: string): string =>
  name.trim() !== '' ? name.trim().slice(0, 200) : (email.split('@')[0] ?? email).slice(0, 200) || email;

/**
 * The id of `email`'s existing account in the embedded provider, if it belongs to `tenantSlug`
 * (null: the platform); 409 naming the field when it belongs to another organisation. A tenant
 * about to be created asks this before it is provisioned, so a refused first admin costs nothing.
 */
export async function accountOfEmail(
  db: Kysely<ControlTables>,
  input: { tenantSlug: string | null; email: string },
): Promise<string | null> {
  const found = await db
    .selectFrom('control.local_users')
    .select(['id', 'tenant_slug'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase()))
    .executeTakeFirst();
  if (!found) return null;
  if (found.tenant_slug !== input.tenantSlug) {
    throw conflict(
      input.tenantSlug === null
        ? 'this e-mail address already has an account with an organisation'
        : 'this e-mail address already has an account with another organisation',
      [{ field: 'email', message: 'has an account elsewhere' }],
    );
  }
  return found.id;
}

/**
 * The account of an e-mail in the embedded provider, created without a password when missing.
 * An address that already has an account with another organisation (or is the platform
 * operator's) cannot be invited: one e-mail, one account, one organisation.
 */
export async function ensureInvitedAccount(
  db: Kysely<ControlTables>,
  input: { tenantSlug: string | null; email: string; name: string; roles?: string[] },
): Promise<string> {
  const email = input.email.toLowerCase();
  const found = await accountOfEmail(db, input);
  if (found) return found;
  // A row of another organisation is invisible to this tenant's role; the unique index still holds.
  const created = await db
    .insertInto('control.local_users')
    .values({ email, name: displayName(input.name, email), password_hash: null, tenant_slug: input.tenantSlug, roles: input.roles ?? [] })
    .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!created)
    throw conflict('this e-mail address already has an account with another organisation', [
      { field: 'email', message: 'has an account elsewhere' },
    ]);
  return created.id;
}

/**
 * Invitations of the embedded identity provider, for the users module: the account (no password
 * yet) and a single-use, 24-hour link to set one, in the admin's tenant transaction. The link is
 * announced (logged, e-mailed) only after that transaction commits.
 */
export function createMemberInvitations(options: { publicUrl: string; announce: LinkAnnouncer }): MemberInvitations {
  return async (tx: TenantTx, input) => {
    const db = accountsOf(tx);
    const userId = await ensureInvitedAccount(db, { tenantSlug: input.tenantSlug, email: input.email, name: input.name });
    // Inviting again after the membership was deactivated or the invitation revoked: the account may sign in again.
    await db.updateTable('control.local_users').set({ active: true }).where('id', '=', userId).where('active', '=', false).execute();
    const { token, expiresAt } = await issueAccountToken(db, {
      userId,
      tenantSlug: input.tenantSlug,
      purpose: 'invitation',
      ttlMs: LINK_TTL_MS,
    });
    const link: AccountLink = { url: setPasswordUrl(options.publicUrl, token), expiresAt: expiresAt.toISOString() };
    onCommit(tx, () =>
      options.announce({ purpose: 'invitation', email: input.email, name: input.name, tenantSlug: input.tenantSlug, ...link }),
    );
    return link;
  };
}

/**
 * A platform operator account (no tenant, role `operator`) and a single-use link to set its
 * password; for an existing operator, a new link (the previous one is revoked).
 */
export async function createOperatorAccount(
  db: Kysely<ControlTables>,
  input: { email: string; name: string; publicUrl: string },
): Promise<AccountLink> {
  return withControl(db, async (tx) => {
    const userId = await ensureInvitedAccount(tx, {
      tenantSlug: null,
      email: input.email,
      name: input.name || 'Platform operator',
      roles: ['operator'],
    });
    await tx
      .updateTable('control.local_users')
      .set({ roles: ['operator'], active: true })
      .where('id', '=', userId)
      .execute();
    const { token, expiresAt } = await issueAccountToken(tx, { userId, tenantSlug: null, purpose: 'invitation', ttlMs: LINK_TTL_MS });
    return { url: setPasswordUrl(input.publicUrl, token), expiresAt: expiresAt.toISOString() };
  });
}
