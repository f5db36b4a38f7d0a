import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DisableOwnMfaSchema, MemberParamsSchema, MfaSettingsSchema, MfaStatusSchema, ROLES } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { Database, TenantTx } from '../../platform/db/index.js';
import { AppError, conflict, notFound, unprocessable } from '../../platform/errors.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { recordAudit } from '../audit/index.js';
import { accountsOf } from './account-links.js';
import type { LocalUser } from './local-users.js';
import { createLoginThrottle } from './login-throttle.js';
import { acceptTotp, auditMfa, findMfa, mfaSettings, mfaStatusOf, removeMfa, requiresMfa, useRecoveryCode, type MfaKey } from './mfa.js';

export type MfaRoutesOptions = {
  key: MfaKey;
  /** The embedded provider's issuer: only its people have an authenticator here. */
  issuer: string;
  /** Tells the API guard that a tenant's setting changed (it caches it briefly). */
  onSettingsChanged?: (tenantSlug: string) => void;
};

const tags = ['identity'];

/** The embedded-provider account behind a membership of the caller's tenant (row-level security keeps it there). */
async function accountOfMember(tx: TenantTx, memberId: string): Promise<{ user: LocalUser; roles: string[] }> {
  const accounts = accountsOf(tx);
  const member = await accounts
    .selectFrom('control.memberships')
    .select(['id', 'subject', 'email', 'roles'])
    .where('id', '=', memberId)
    .executeTakeFirst();
  if (!member) throw notFound('member', memberId);
  const user = await accounts
    .selectFrom('control.local_users')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(member.subject && /^[0-9a-f-]{36}$/i.test(member.subject) ? [eb('id', '=', member.subject)] : []),
        ...(member.email ? [eb(eb.fn('lower', ['email']), '=', member.email.toLowerCase())] : []),
      ]),
    )
    .executeTakeFirst();
  if (!user) throw notFound(`an account of the embedded identity provider for member ${memberId}`);
  return { user, roles: member.roles };
}

async function ownAccount(tx: TenantTx, request: FastifyRequest, issuer: string): Promise<LocalUser> {
  const actor = request.actor;
  const subject = actor?.subject ?? '';
  if (actor?.issuer !== issuer || !/^[0-9a-f-]{36}$/i.test(subject))
    throw notFound('an account of the embedded identity provider for you (your organisation signs in elsewhere)');
  const user = await accountsOf(tx).selectFrom('control.local_users').selectAll().where('id', '=', subject).executeTakeFirst();
  if (!user) throw notFound('your account');
  return user;
}

async function isRequiredFor(tx: TenantTx, roles: readonly string[]): Promise<boolean> {
  return requiresMfa(await mfaSettings.read(tx), roles);
}

/**
 * MFA administration: the tenant's policy (which roles must use it), one person's state and its
 * reset by an admin (they enrol again at their next sign-in), and a person turning their own off
 * (with a current code, and only when no role of theirs requires it). Audited in the tenant trail.
 */
export function mfaRoutes(database: Database, options: MfaRoutesOptions) {
  const { key, issuer } = options;
  const throttle = createLoginThrottle(database.db);
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);

    r.get(
      '/api/v1/settings/mfa',
      {
        config: { access: { roles: ['admin'] } },
        schema: { tags, summary: 'Which roles must use two-step sign-in (MFA)', response: { 200: MfaSettingsSchema } },
      },
      (request) => inTenant(request, (tx) => mfaSettings.read(tx)),
    );

    r.put(
      '/api/v1/settings/mfa',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags,
          summary: 'Set the roles that must use two-step sign-in (MFA); they enrol at their next sign-in',
          body: MfaSettingsSchema,
          response: { 200: MfaSettingsSchema },
        },
      },
      async (request) => {
        const after = await inTenant(request, async (tx, caller) => {
          const { before, after: stored } = await mfaSettings.update(tx, { requiredRoles: request.body.requiredRoles });
          await auditMfaSettings(tx, caller, before.requiredRoles, stored.requiredRoles);
          return stored;
        });
        options.onSettingsChanged?.(request.actor?.tenant?.slug ?? '');
        return after;
      },
    );

    r.get(
      '/api/v1/users/:id/mfa',
      {
        config: { access: { roles: ['admin'] } },
        schema: { tags, summary: "A member's two-step sign-in state", params: MemberParamsSchema, response: { 200: MfaStatusSchema } },
      },
      (request) =>
        inTenant(request, async (tx) => {
          const { user, roles } = await accountOfMember(tx, request.params.id);
          return mfaStatusOf(accountsOf(tx), user.id, await isRequiredFor(tx, roles));
        }),
    );

    r.delete(
      '/api/v1/users/:id/mfa',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags,
          summary: "Reset a member's two-step sign-in (lost phone): authenticator and recovery codes removed; they enrol again",
          params: MemberParamsSchema,
        },
      },
      async (request, reply) => {
        await inTenant(request, async (tx, caller) => {
          const { user } = await accountOfMember(tx, request.params.id);
          if (!(await removeMfa(accountsOf(tx), user.id))) throw conflict(`member ${request.params.id} has no two-step sign-in to reset`);
          await auditMfa(tx, caller, user.id, 'mfa.reset', { memberId: request.params.id });
        });
        return reply.status(204).send();
      },
    );

    r.get(
      '/api/v1/me/mfa',
      {
        config: { access: { roles: ROLES } },
        schema: { tags, summary: 'Your own two-step sign-in state', response: { 200: MfaStatusSchema } },
      },
      (request) =>
        inTenant(request, async (tx, caller) => {
          const user = await ownAccount(tx, request, issuer);
          return mfaStatusOf(accountsOf(tx), user.id, await isRequiredFor(tx, caller.roles));
        }),
    );

    r.delete(
      '/api/v1/me/mfa',
      {
        config: { access: { roles: ROLES } },
        schema: {
          tags,
          summary: 'Turn your own two-step sign-in off (needs a current code; refused when your role requires it)',
          body: DisableOwnMfaSchema,
        },
      },
      async (request, reply) => {
        const email = request.actor?.email ?? '';
        const wait = await throttle.attempt(email, request.ip);
        if (wait > 0) {
          void reply.header('retry-after', String(wait));
          throw new AppError(429, '/problems/too-many-attempts', 'Too many attempts', `too many wrong codes; try again in ${wait} seconds`);
        }
        const outcome = await inTenant(request, async (tx, caller) => {
          const user = await ownAccount(tx, request, issuer);
          const accounts = accountsOf(tx);
          if (!(await findMfa(accounts, user.id))?.confirmedAt) throw conflict('you have no two-step sign-in to turn off');
          if (await isRequiredFor(tx, caller.roles))
            throw conflict('your organisation requires two-step sign-in for your role; an admin can reset it if you lost your phone');
          const code = request.body.code;
          const ok =
            (await acceptTotp(accounts, key, user.id, code, { confirm: false })) ||
            (await useRecoveryCode(accounts, key, user.id, code)) !== undefined;
          if (!ok) return 'wrong-code' as const;
          await removeMfa(accounts, user.id);
          await auditMfa(tx, caller, user.id, 'mfa.disabled', {});
          return 'done' as const;
        });
        if (outcome === 'wrong-code')
          throw unprocessable('auth/invalid-code', 'that code is not right', [{ field: 'code', message: 'is not a current code' }]);
        await throttle.succeeded(email, request.ip);
        return reply.status(204).send();
      },
    );
  };
}

async function auditMfaSettings(tx: TenantTx, caller: Caller, before: readonly string[], after: readonly string[]): Promise<void> {
  await recordAudit(tx, caller, {
    action: 'settings.mfa_updated',
    entityType: 'tenant_settings',
    entityId: 'auth.mfa',
    before: { requiredRoles: [...before] },
    after: { requiredRoles: [...after] },
  });
}
