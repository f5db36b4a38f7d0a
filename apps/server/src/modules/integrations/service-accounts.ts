import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { CreateServiceAccount, ServiceAccount, ServiceAccountRole, ServiceAccountWithSecret } from '@yardmaster/contracts';
import { SERVICE_ACCOUNT_ROLES } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { ControlTables, TenantTx } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import type { ServiceAccountsTable } from './integrations.tables.js';
import './integrations.tables.js';

type Row = Selectable<ServiceAccountsTable>;

/** Client ids look like `ymsa-<24 hex>`; secrets like `ymss_<43 base64url>` (256 random bits; the prefix lets secret scanners spot a leak). */
const CLIENT_ID_PATTERN = /^ymsa-[0-9a-f]{24}$/;
export const isServiceAccountClientId = (value: unknown): value is string => typeof value === 'string' && CLIENT_ID_PATTERN.test(value);

const newClientId = (): string => `ymsa-${randomBytes(12).toString('hex')}`;
const newSecret = (): string => `ymss_${randomBytes(32).toString('base64url')}`;

/**
 * SHA-256 of the secret. The secret is 256 random bits, so a stolen hash cannot be brute-forced
 * and a slow password hash (argon2id) would add nothing but CPU at the token endpoint — where
 * anyone can send a guess — on a two-core server.
 */
export const hashServiceAccountSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Whether `secret` is the one whose hash is stored (constant time). */
export function isServiceAccountSecret(secret: unknown, storedHash: string): boolean {
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > 200) return false;
  const actual = Buffer.from(hashServiceAccountSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const rolesOf = (roles: string[]): ServiceAccountRole[] =>
  roles.filter((r): r is ServiceAccountRole => (SERVICE_ACCOUNT_ROLES as readonly string[]).includes(r));
const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export function serviceAccountView(row: Row): ServiceAccount {
  return {
    id: row.id,
    name: row.name,
    clientId: row.client_id,
    roles: rolesOf(row.roles),
    active: row.revoked_at === null,
    createdAt: new Date(row.created_at).toISOString(),
    secretRotatedAt: new Date(row.secret_rotated_at).toISOString(),
    revokedAt: iso(row.revoked_at),
    lastTokenAt: iso(row.last_token_at),
  };
}

const audited = (row: Row): Record<string, unknown> => ({
  name: row.name,
  clientId: row.client_id,
  roles: row.roles,
  active: row.revoked_at === null,
});

export async function listServiceAccounts(tx: TenantTx, caller: Caller): Promise<{ items: ServiceAccount[] }> {
  const rows = await tx
    .selectFrom('control.service_accounts')
    .selectAll()
    .where('tenant_slug', '=', caller.tenantSlug)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(500)
    .execute();
  return { items: rows.map(serviceAccountView) };
}

/** Creates a service account; the answer carries its secret, which is never shown again. */
export async function createServiceAccount(
  tx: TenantTx,
  caller: Caller,
  input: CreateServiceAccount,
  tokenEndpoint: string,
): Promise<ServiceAccountWithSecret> {
  const taken = await tx
    .selectFrom('control.service_accounts')
    .select('id')
    .where('tenant_slug', '=', caller.tenantSlug)
    .where('name', '=', input.name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (taken) throw conflict(`a service account named "${input.name}" already exists`, [{ field: 'name', message: 'already in use' }]);
  const secret = newSecret();
  const row = await tx
    .insertInto('control.service_accounts')
    .values({
      tenant_slug: caller.tenantSlug,
      client_id: newClientId(),
      name: input.name,
      roles: [...new Set(input.roles)],
      secret_hash: hashServiceAccountSecret(secret),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(tx, caller, {
    action: 'service_account.created',
    entityType: 'service_account',
    entityId: row.id,
    after: audited(row),
  });
  return { ...serviceAccountView(row), clientSecret: secret, tokenEndpoint };
}

async function lockActive(tx: TenantTx, caller: Caller, id: string): Promise<Row> {
  const row = await tx
    .selectFrom('control.service_accounts')
    .selectAll()
    .where('tenant_slug', '=', caller.tenantSlug)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('service account', id);
  if (row.revoked_at !== null) throw conflict('this service account has been revoked');
  return row;
}

/** A new secret; the previous one stops working at once (tokens it already obtained run out within minutes). */
export async function rotateServiceAccountSecret(
  tx: TenantTx,
  caller: Caller,
  id: string,
  tokenEndpoint: string,
): Promise<ServiceAccountWithSecret> {
  await lockActive(tx, caller, id);
  const secret = newSecret();
  const row = await tx
    .updateTable('control.service_accounts')
    .set({ secret_hash: hashServiceAccountSecret(secret), secret_rotated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(tx, caller, {
    action: 'service_account.secret_rotated',
    entityType: 'service_account',
    entityId: id,
    after: audited(row),
  });
  return { ...serviceAccountView(row), clientSecret: secret, tokenEndpoint };
}

/** Revokes for good: no new token, and tokens already issued are refused from the next request. */
export async function revokeServiceAccount(tx: TenantTx, caller: Caller, id: string): Promise<ServiceAccount> {
  const before = await lockActive(tx, caller, id);
  const row = await tx
    .updateTable('control.service_accounts')
    .set({ revoked_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(tx, caller, {
    action: 'service_account.revoked',
    entityType: 'service_account',
    entityId: id,
    before: audited(before),
    after: audited(row),
  });
  return serviceAccountView(row);
}

/** What the identity provider and the authenticator need of a service account. */
export type ServiceAccountIdentity = {
  clientId: string;
  tenantSlug: string;
  name: string;
  roles: ServiceAccountRole[];
  secretHash: string;
  active: boolean;
};

/** Looks a service account up by client id (the server's own connection: any tenant). */
export async function findServiceAccountByClientId(
  db: Kysely<ControlTables>,
  clientId: string,
): Promise<ServiceAccountIdentity | undefined> {
  if (!isServiceAccountClientId(clientId)) return undefined;
  const row = await db
    .selectFrom('control.service_accounts')
    .select(['client_id', 'tenant_slug', 'name', 'roles', 'secret_hash', 'revoked_at'])
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    clientId: row.client_id,
    tenantSlug: row.tenant_slug,
    name: row.name,
    roles: rolesOf(row.roles),
    secretHash: row.secret_hash,
    active: row.revoked_at === null,
  };
}

/** Notes when a service account last obtained a token (shown to admins). */
export async function recordServiceAccountToken(db: Kysely<ControlTables>, clientId: string): Promise<void> {
  await db
    .updateTable('control.service_accounts')
    .set({ last_token_at: sql<Date>`now()` })
    .where('client_id', '=', clientId)
    .execute();
}
