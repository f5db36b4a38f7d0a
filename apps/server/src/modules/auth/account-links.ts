import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ControlTables, TenantTx } from '../../platform/db/index.js';
import type { AccountTokenPurpose, AccountTokensTable } from './auth.tables.js';
import './auth.tables.js';

/** A link handed to a person: where it goes and until when it works. */
export type AccountLink = { url: string; expiresAt: string };

export type AccountTokenRow = Selectable<AccountTokensTable>;

/** Invitations and password resets work for 24 hours; the sign-in ticket after a new password for 2 minutes. */
export const LINK_TTL_MS = 24 * 3600 * 1000;
export const SIGNIN_TICKET_TTL_MS = 2 * 60 * 1000;

export const hashAccountToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * A tenant transaction reaches control.local_users and control.account_tokens (its own tenant's
 * rows only: row-level security on the tenant role); the queries below are written once for both.
 */
export const accountsOf = (tx: TenantTx): Kysely<ControlTables> => tx as unknown as Kysely<ControlTables>;

/**
 * Creates a single-use token for an account and revokes the ones of the same purpose that were
 * not used yet (re-inviting revokes the previous link). Only its SHA-256 is stored.
 */
export async function issueAccountToken(
  db: Kysely<ControlTables>,
  input: { userId: string; tenantSlug: string | null; purpose: AccountTokenPurpose; ttlMs: number },
): Promise<{ token: string; expiresAt: Date }> {
  await db
    .updateTable('control.account_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', input.userId)
    .where('purpose', '=', input.purpose)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + input.ttlMs);
  await db
    .insertInto('control.account_tokens')
    .values({
      user_id: input.userId,
      tenant_slug: input.tenantSlug,
      purpose: input.purpose,
      token_hash: hashAccountToken(token),
      expires_at: expiresAt,
    })
    .execute();
  return { token, expiresAt };
}

export type TokenState = { state: 'usable'; row: AccountTokenRow } | { state: 'expired' | 'used' | 'revoked' | 'unknown' };

/** What a presented token is, without consuming it (a failed attempt consumes nothing). */
export async function inspectAccountToken(
  db: Kysely<ControlTables>,
  token: string,
  purposes: AccountTokenPurpose[],
  forUpdate = false,
): Promise<TokenState> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { state: 'unknown' };
  let query = db
    .selectFrom('control.account_tokens')
    .selectAll()
    .where('token_hash', '=', hashAccountToken(token))
    .where('purpose', 'in', purposes);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) return { state: 'unknown' };
  if (row.used_at) return { state: 'used' };
  if (row.revoked_at) return { state: 'revoked' };
  if (row.expires_at.getTime() <= Date.now()) return { state: 'expired' };
  return { state: 'usable', row };
}

/** Marks a token used; false when another request used it first (single use under concurrency). */
export async function consumeAccountToken(db: Kysely<ControlTables>, id: string): Promise<boolean> {
  const result = await db
    .updateTable('control.account_tokens')
    .set({ used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Ends every open link of an account (deactivation, a new password). */
export async function revokeAccountTokens(db: Kysely<ControlTables>, userId: string, purposes: AccountTokenPurpose[]): Promise<void> {
  await db
    .updateTable('control.account_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The page a link opens. */
export const setPasswordUrl = (publicUrl: string, token: string): string =>
  `${publicUrl}/account/set-password?token=${encodeURIComponent(token)}`;
