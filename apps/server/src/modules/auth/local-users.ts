import { hash, verify } from '@node-rs/argon2';
import type { Kysely, Selectable } from 'kysely';
import type { ControlTables } from '../../platform/db/index.js';
import type { LocalUsersTable } from './auth.tables.js';
import './auth.tables.js';

export type LocalUser = Selectable<LocalUsersTable>;

/** argon2id with OWASP's recommended minimum (19 MiB, 2 passes). */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export async function findLocalUserByEmail(db: Kysely<ControlTables>, email: string): Promise<LocalUser | undefined> {
  return db
    .selectFrom('control.local_users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

export async function findLocalUserById(db: Kysely<ControlTables>, id: string): Promise<LocalUser | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db.selectFrom('control.local_users').selectAll().where('id', '=', id).executeTakeFirst();
}

// A fixed hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
let decoyHash: Promise<string> | undefined;

/** The active user with this e-mail and password, or undefined; constant work either way. */
export async function authenticateLocalUser(db: Kysely<ControlTables>, email: string, password: string): Promise<LocalUser | undefined> {
  const user = await findLocalUserByEmail(db, email);
  decoyHash ??= hashPassword('decoy-password-never-valid');
  const ok = await verify(user?.password_hash ?? (await decoyHash), password).catch(() => false); // a stored hash it cannot read never matches
  return user && ok && user.active ? user : undefined;
}

export type NewLocalUser = { id?: string; email: string; name: string; password: string; tenantSlug: string | null; roles: string[] };

/** Creates the account unless one with this e-mail exists (idempotent for seeding). */
export async function ensureLocalUser(db: Kysely<ControlTables>, user: NewLocalUser): Promise<void> {
  if (await findLocalUserByEmail(db, user.email)) return;
  await db
    .insertInto('control.local_users')
    .values({
      ...(user.id ? { id: user.id } : {}),
      email: user.email,
      name: user.name,
      password_hash: await hashPassword(user.password),
      tenant_slug: user.tenantSlug,
      roles: user.roles,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}
