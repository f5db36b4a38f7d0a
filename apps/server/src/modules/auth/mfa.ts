import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { MfaSettingsSchema, type MfaSettings, type MfaStatus, type Role } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { withTenant, type ControlTables, type TenantTx } from '../../platform/db/index.js';
import { tenantSettings } from '../../platform/tenant-settings.js';
import { recordAudit } from '../audit/index.js';
import { findMembershipForSignIn } from '../users/index.js';
import type { LocalUser } from './local-users.js';
import './auth.tables.js';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_S = 30;
const TOTP_DIGITS = 6;
/** A code of the step before or after counts too (clocks drift, people type slowly). */
const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

/** What the embedded provider reports in tokens: amr (RFC 8176) and an acr naming the assurance. */
export const AMR_PASSWORD = 'pwd';
export const AMR_OTP = 'otp';
export const ACR_PASSWORD = 'urn:yardmaster:acr:password';
export const ACR_MFA = 'urn:yardmaster:acr:mfa';

type LocalUserMfaTable = {
  user_id: string;
  tenant_slug: string | null;
  secret_enc: string;
  confirmed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  last_step: ColumnType<string, number | undefined, number>;
  created_at: Generated<Date>;
};
type RecoveryCodesTable = {
  id: Generated<string>;
  user_id: string;
  tenant_slug: string | null;
  code_hash: string;
  used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Generated<Date>;
};

/* eslint-disable @typescript-eslint/consistent-type-definitions -- declaration merging */
declare module '../../platform/db/tables.js' {
  interface ControlTables {
    'control.local_user_mfa': LocalUserMfaTable;
    'control.local_user_recovery_codes': RecoveryCodesTable;
  }
  interface TenantTables {
    'control.local_user_mfa': LocalUserMfaTable;
    'control.local_user_recovery_codes': RecoveryCodesTable;
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */

/** The tenant setting: which roles must use MFA. A tenant without it requires none (see the migration for the defaults). */
export const mfaSettings = tenantSettings<MfaSettings>('auth.mfa', MfaSettingsSchema, () => ({ requiredRoles: [] }), {
  label: 'MFA settings',
});

/**
 * The key that encrypts TOTP secrets and keys the recovery-code hashes: 32 random bytes kept
 * (0600) in the data folder beside the provider's signing key, never in the database. Every
 * instance shares the data folder's keys, as it does the signing key.
 */
export type MfaKey = Buffer;

export function loadOrCreateMfaKey(dir: string): MfaKey {
  const file = path.join(dir, 'mfa-key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (key.length !== 32) throw new Error(`${file} must hold 32 bytes (base64url)`);
    return key;
  }
  mkdirSync(dir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64url'), { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

/** AES-256-GCM; stored as `v1.<iv>.<tag>.<ciphertext>` (base64url), bound to the account (AAD). */
export function encryptSecret(key: MfaKey, userId: string, base32: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(userId));
  const body = Buffer.concat([cipher.update(base32, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export function decryptSecret(key: MfaKey, userId: string, stored: string): string {
  const [version, iv, tag, body] = stored.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unreadable MFA secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(userId));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

export function totpOf(base32: string, label = ''): TOTP {
  return new TOTP({
    issuer: 'Yardmaster',
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(base32),
  });
}

/** The time step a code belongs to, or undefined when it matches none within the window. */
export function matchingStep(base32: string, code: string, now = Date.now()): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totpOf(base32).validate({ token, timestamp: now, window: TOTP_WINDOW });
  return delta === null ? undefined : Math.floor(now / 1000 / TOTP_PERIOD_S) + delta;
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** Ten groups of five from a 31-letter alphabet (about 50 bits each); shown once, stored as an HMAC. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

const normalisedRecoveryCode = (code: string): string => code.toLowerCase().replace(/[^a-z0-9]/g, '');
export const recoveryCodeHash = (key: MfaKey, code: string): string =>
  createHmac('sha256', key)
    .update(`recovery:${normalisedRecoveryCode(code)}`)
    .digest('hex');
export const looksLikeRecoveryCode = (code: string): boolean => normalisedRecoveryCode(code).length === 10;

export type MfaRow = { secretEnc: string; confirmedAt: Date | null; lastStep: number };

export async function findMfa(db: Kysely<ControlTables>, userId: string): Promise<MfaRow | undefined> {
  const row = await db
    .selectFrom('control.local_user_mfa')
    .select(['secret_enc', 'confirmed_at', 'last_step'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row ? { secretEnc: row.secret_enc, confirmedAt: row.confirmed_at, lastStep: Number(row.last_step) } : undefined;
}

/**
 * The secret of an enrolment in progress: the one stored while it is unconfirmed, else a new one.
 * Undefined when the person has already enrolled (a confirmed secret is never shown again).
 */
export async function pendingSecretOf(db: Kysely<ControlTables>, key: MfaKey, user: LocalUser): Promise<string | undefined> {
  const existing = await findMfa(db, user.id);
  if (existing?.confirmedAt) return undefined;
  if (existing) return decryptSecret(key, user.id, existing.secretEnc);
  const secret = newTotpSecret();
  const inserted = await db
    .insertInto('control.local_user_mfa')
    .values({ user_id: user.id, tenant_slug: user.tenant_slug, secret_enc: encryptSecret(key, user.id, secret), confirmed_at: null })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .returning('user_id')
    .executeTakeFirst();
  if (inserted) return secret;
  // Another tab started the enrolment at the same moment: use its secret.
  return pendingSecretOf(db, key, user);
}

/**
 * Accepts a TOTP code for a step later than the last one used (each code works once), atomically:
 * of two requests with the same code only one wins. `confirm` finishes an enrolment.
 */
export async function acceptTotp(
  db: Kysely<ControlTables>,
  key: MfaKey,
  userId: string,
  code: string,
  options: { confirm: boolean },
): Promise<boolean> {
  const row = await findMfa(db, userId);
  if (!row || (options.confirm ? row.confirmedAt !== null : row.confirmedAt === null)) return false;
  const step = matchingStep(decryptSecret(key, userId, row.secretEnc), code);
  if (step === undefined) return false;
  const updated = await db
    .updateTable('control.local_user_mfa')
    .set({ last_step: step, ...(options.confirm ? { confirmed_at: sql<Date>`now()` } : {}) })
    .where('user_id', '=', userId)
    .where('last_step', '<', String(step))
    .where('confirmed_at', options.confirm ? 'is' : 'is not', null)
    .returning('user_id')
    .executeTakeFirst();
  return updated !== undefined;
}

/** Replaces the person's recovery codes with ten new ones; returns them (the only time they are seen). */
export async function replaceRecoveryCodes(
  db: Kysely<ControlTables>,
  key: MfaKey,
  user: Pick<LocalUser, 'id' | 'tenant_slug'>,
): Promise<string[]> {
  const codes = newRecoveryCodes();
  await db.deleteFrom('control.local_user_recovery_codes').where('user_id', '=', user.id).execute();
  await db
    .insertInto('control.local_user_recovery_codes')
    .values(codes.map((code) => ({ user_id: user.id, tenant_slug: user.tenant_slug, code_hash: recoveryCodeHash(key, code) })))
    .execute();
  return codes;
}

/** Uses up one recovery code (single use, race-free); the number left, or undefined when it was not valid. */
export async function useRecoveryCode(db: Kysely<ControlTables>, key: MfaKey, userId: string, code: string): Promise<number | undefined> {
  if (!looksLikeRecoveryCode(code)) return undefined;
  const used = await db
    .updateTable('control.local_user_recovery_codes')
    .set({ used_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('code_hash', '=', recoveryCodeHash(key, code))
    .where('used_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (!used) return undefined;
  return recoveryCodesLeft(db, userId);
}

export async function recoveryCodesLeft(db: Kysely<ControlTables>, userId: string): Promise<number> {
  const { n } = await db
    .selectFrom('control.local_user_recovery_codes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** Removes the person's authenticator and recovery codes; true when there was one. */
export async function removeMfa(db: Kysely<ControlTables>, userId: string): Promise<boolean> {
  await db.deleteFrom('control.local_user_recovery_codes').where('user_id', '=', userId).execute();
  const removed = await db.deleteFrom('control.local_user_mfa').where('user_id', '=', userId).returning('confirmed_at').executeTakeFirst();
  return removed?.confirmed_at != null;
}

export async function mfaStatusOf(db: Kysely<ControlTables>, userId: string, required: boolean): Promise<MfaStatus> {
  const row = await findMfa(db, userId);
  const enrolled = row?.confirmedAt != null;
  return {
    enrolled,
    enrolledAt: row?.confirmedAt ? row.confirmedAt.toISOString() : null,
    recoveryCodesLeft: enrolled ? await recoveryCodesLeft(db, userId) : 0,
    required,
  };
}

export const requiresMfa = (settings: MfaSettings, roles: readonly string[]): boolean =>
  roles.some((role) => settings.requiredRoles.includes(role as Role));

/**
 * The roles a person of the embedded provider holds in their tenant: the membership's when there
 * is one (tenant admins have the last word, as the API sees it), else the account's own.
 */
export async function rolesAtSignIn(db: Kysely<ControlTables>, user: LocalUser, issuer: string): Promise<string[]> {
  if (!user.tenant_slug) return user.roles;
  const membership = await findMembershipForSignIn(db, { tenantSlug: user.tenant_slug, subject: user.id, issuer, email: user.email });
  return membership?.active ? membership.roles : user.roles;
}

/** Whether this person must use MFA (their tenant requires it for one of their roles). Operators: no tenant, no policy. */
export async function isMfaRequiredFor(
  db: Kysely<ControlTables>,
  user: LocalUser,
  issuer: string,
): Promise<{ required: boolean; roles: string[] }> {
  if (!user.tenant_slug) return { required: false, roles: user.roles };
  const roles = await rolesAtSignIn(db, user, issuer);
  const settings = await withTenant(db, user.tenant_slug, (tx) => mfaSettings.read(tx));
  return { required: requiresMfa(settings, roles), roles };
}

/** The person as the tenant's audit trail names them, for what they do at the sign-in pages. */
export function signInCaller(
  user: LocalUser,
  roles: readonly string[],
  request: { id: unknown; ip: string; headers: Record<string, unknown> },
): Caller {
  const agent = request.headers['user-agent'];
  return {
    kind: 'user',
    subject: user.id,
    name: user.name,
    roles: [...roles],
    tenantSlug: user.tenant_slug ?? '',
    requestId: String(request.id),
    sourceIp: request.ip,
    userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null,
  };
}

/** Records an MFA event in the person's tenant trail (operators have no tenant trail: their events go to the log only). */
export async function auditMfa(
  tx: TenantTx,
  caller: Caller,
  userId: string,
  action: 'mfa.enrolled' | 'mfa.disabled' | 'mfa.reset' | 'mfa.recovery_code_used',
  after: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit(tx, caller, { action, entityType: 'account', entityId: userId, after });
}

/**
 * `amr` and `acr` of the sign-in behind a token being issued (authorization code or refresh
 * token grant), for the access token: the API reads them to see whether a second factor was used.
 */
export function tokenAuthenticationClaims(ctx: unknown): { amr?: string[]; acr?: string } {
  const entities = (ctx as { oidc?: { entities?: Record<string, { amr?: unknown; acr?: unknown } | undefined> } } | undefined)?.oidc
    ?.entities;
  const source = entities?.AuthorizationCode ?? entities?.RefreshToken;
  const amr = Array.isArray(source?.amr) ? source.amr.filter((v): v is string => typeof v === 'string') : undefined;
  const acr = typeof source?.acr === 'string' ? source.acr : undefined;
  return { ...(amr ? { amr } : {}), ...(acr ? { acr } : {}) };
}
