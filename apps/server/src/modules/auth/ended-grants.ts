import { sql, type Kysely } from 'kysely';
import type { ControlTables } from '../../platform/db/index.js';
import './auth.tables.js';

/**
 * Access tokens of the embedded provider carry the id of the grant (sign-in session) they were
 * issued under, in this claim. The API checks that the grant still exists before it honours a
 * token, so a session that ends (signed out, forced out, replaced, account deactivated) stops
 * its access tokens too, not only its refresh tokens.
 */
export const SESSION_CLAIM = 'ym_sid';

/** Caches of verified tokens that must forget the tokens of ended grants (one per authenticator). */
type Forgetter = { forgetGrants: (grantIds: ReadonlySet<string>) => void };
const forgetters = new Set<WeakRef<Forgetter>>();

/** Registers a verified-token cache; it is held weakly, so a closed app's cache goes away. */
export function rememberToForget(cache: Forgetter): void {
  forgetters.add(new WeakRef(cache));
}

/**
 * Tells every authenticator of this process that these grants ended: their cached tokens are
 * dropped at once, so the next request re-checks (and is refused). Other server instances stop
 * honouring them when their own cache entry lapses (at most 60 s, see auth.verify.ts).
 */
export function announceEndedGrants(grantIds: Iterable<string>): void {
  const ids = new Set(grantIds);
  if (ids.size === 0) return;
  for (const ref of forgetters) {
    const cache = ref.deref();
    if (cache) cache.forgetGrants(ids);
    else forgetters.delete(ref);
  }
}

/** True while the grant exists, has not expired, and its account is active. */
export async function isGrantLive(db: Kysely<ControlTables>, grantId: string): Promise<boolean> {
  const row = await db
    .selectFrom('control.oidc_payloads as p')
    .innerJoin('control.local_users as u', (join) => join.on(sql`u.id::text`, '=', sql`p.payload->>'accountId'`))
    .select(sql<number>`1`.as('live'))
    .where('p.model', '=', 'Grant')
    .where('p.id', '=', grantId)
    .where((eb) => eb.or([eb('p.expires_at', 'is', null), eb('p.expires_at', '>', sql<Date>`now()`)]))
    .where('u.active', '=', true)
    .executeTakeFirst();
  return row !== undefined;
}
