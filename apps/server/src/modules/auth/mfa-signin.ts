import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import { withControl, withTenant, type ControlTables } from '../../platform/db/index.js';
import { accountsOf } from './account-links.js';
import { findLocalUserById, type LocalUser } from './local-users.js';
import type { LoginThrottle } from './login-throttle.js';
import {
  acceptTotp,
  ACR_MFA,
  ACR_PASSWORD,
  AMR_OTP,
  AMR_PASSWORD,
  auditMfa,
  findMfa,
  isMfaRequiredFor,
  pendingSecretOf,
  replaceRecoveryCodes,
  signInCaller,
  totpOf,
  useRecoveryCode,
  type MfaKey,
} from './mfa.js';
import { renderEnrolPage, renderOtpPage, renderRecoveryCodesPage } from './mfa-pages.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Where a sign-in stands between the password and the end of the interaction, kept in the
 * provider's interaction (bound to this browser by its cookie, gone after 10 minutes):
 * `verify` wants a code, `enrol` wants the first code of a new authenticator, `codes` has shown
 * the recovery codes and waits for "continue".
 */
type MfaStage = { accountId: string; stage: 'verify' | 'enrol' | 'codes' };
const STATE_KEY = 'ym_mfa';

const stageOf = (details: Details): MfaStage | undefined => {
  const result: Record<string, unknown> | undefined = details.result;
  const value = result?.[STATE_KEY] as MfaStage | undefined;
  return value && typeof value.accountId === 'string' && ['verify', 'enrol', 'codes'].includes(value.stage) ? value : undefined;
};

const codeOf = (body: unknown): string => {
  const value = (body as Record<string, unknown> | undefined)?.code;
  return typeof value === 'string' ? value.trim().slice(0, 40) : '';
};

const html = (reply: FastifyReply, status: number, body: string): FastifyReply =>
  reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

export type MfaSignInOptions = { provider: Provider; db: Kysely<ControlTables>; key: MfaKey; throttle: LoginThrottle; issuer: string };

/**
 * The second factor of the embedded provider's sign-in. After the password (or a set-password
 * link), a person who has an authenticator enters a code; a person whose role the tenant's
 * setting names, and who has none, enrols one first. Only then does the interaction finish, with
 * `amr: ["pwd","otp"]` and `acr` {@link ACR_MFA}; without MFA it finishes with `["pwd"]`.
 * Wrong codes count toward the sign-in throttle like wrong passwords; enrolment and recovery-code
 * use are audited in the person's tenant trail.
 */
export function createMfaSignIn(options: MfaSignInOptions) {
  const { provider, db, key, throttle, issuer } = options;
  const actionOf = (details: Details, step: string): string => `/oidc/interaction/${details.uid}/${step}`;

  async function remember(request: FastifyRequest, reply: FastifyReply, state: MfaStage): Promise<void> {
    await provider.interactionResult(request.raw, reply.raw, { [STATE_KEY]: state }, { mergeWithLastSubmission: false });
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, accountId: string, withOtp: boolean): Promise<void> {
    reply.hijack();
    await provider.interactionFinished(
      request.raw,
      reply.raw,
      {
        login: withOtp ? { accountId, amr: [AMR_PASSWORD, AMR_OTP], acr: ACR_MFA } : { accountId, amr: [AMR_PASSWORD], acr: ACR_PASSWORD },
      },
      { mergeWithLastSubmission: false },
    );
  }

  async function enrolPage(details: Details, user: LocalUser, error?: string): Promise<string | undefined> {
    const secret = await pendingSecretOf(db, key, user);
    if (!secret) return undefined;
    return renderEnrolPage({
      action: actionOf(details, 'enrol'),
      otpauthUri: totpOf(secret, user.email).toString(),
      secret,
      ...(error ? { error } : {}),
    });
  }

  /** Runs `fn` in the person's tenant transaction (so its audit event commits with it), or the control schema for an operator. */
  async function inTrail<T>(
    user: LocalUser,
    fn: (
      accounts: Kysely<ControlTables>,
      audit: (action: Parameters<typeof auditMfa>[3], after?: Record<string, unknown>) => Promise<void>,
    ) => Promise<T>,
    request: FastifyRequest,
  ): Promise<T> {
    const slug = user.tenant_slug;
    if (!slug) return withControl(db, (tx) => fn(tx, async () => undefined));
    const caller = signInCaller(user, user.roles, request);
    return withTenant(db, slug, (tx) => fn(accountsOf(tx), (action, after) => auditMfa(tx, caller, user.id, action, after)));
  }

  /** A too-many-attempts answer, or undefined when the attempt may go on (counted per account and address). */
  async function throttled(request: FastifyRequest, reply: FastifyReply, user: LocalUser, page: () => Promise<string> | string) {
    const wait = await throttle.attempt(user.email, request.ip);
    if (wait === 0) return undefined;
    const body = await page();
    return html(
      reply,
      429,
      body.replace('<form', `<p class="error" role="alert">Too many failed attempts. Try again in ${wait} seconds.</p>\n  <form`),
    ).header('retry-after', String(wait));
  }

  return {
    /**
     * The first factor passed (password, or a set-password ticket): finishes the interaction when
     * no second factor is due, else shows the code or enrolment page.
     */
    async afterFirstFactor(
      request: FastifyRequest,
      reply: FastifyReply,
      details: Details,
      user: LocalUser,
      options: { passwordCounted: boolean },
    ): Promise<unknown> {
      const mfa = await findMfa(db, user.id);
      const { required } = mfa?.confirmedAt ? { required: true } : await isMfaRequiredFor(db, user, issuer);
      if (required && options.passwordCounted) await throttle.passedFirstFactor(request.ip);
      if (mfa?.confirmedAt) {
        await remember(request, reply, { accountId: user.id, stage: 'verify' });
        return html(reply, 200, renderOtpPage({ action: actionOf(details, 'otp') }));
      }
      if (required) {
        await remember(request, reply, { accountId: user.id, stage: 'enrol' });
        const body = await enrolPage(details, user);
        if (body) return html(reply, 200, body);
      }
      await throttle.succeeded(user.email, request.ip);
      await finish(request, reply, user.id, false);
      return reply;
    },

    /** The interaction page opened again (a reload) while a second factor is due: the same step again. */
    async resume(reply: FastifyReply, details: Details): Promise<FastifyReply | undefined> {
      const state = stageOf(details);
      if (!state) return undefined;
      const user = await findLocalUserById(db, state.accountId);
      if (!user?.active) return undefined;
      if (state.stage === 'verify') return html(reply, 200, renderOtpPage({ action: actionOf(details, 'otp') }));
      if (state.stage === 'enrol') {
        const body = await enrolPage(details, user);
        return body ? html(reply, 200, body) : html(reply, 200, renderOtpPage({ action: actionOf(details, 'otp') }));
      }
      // The codes were shown once; a reload does not show them again.
      return html(reply, 200, renderRecoveryCodesPage({ action: actionOf(details, 'continue'), codes: [] }));
    },

    register(scope: FastifyInstance): void {
      const route = { config: { access: 'public' as const }, schema: { hide: true } };

      scope.post('/oidc/interaction/:uid/otp', route, async (request, reply) => {
        const details = await provider.interactionDetails(request.raw, reply.raw);
        const state = stageOf(details);
        const user = state?.stage === 'verify' ? await findLocalUserById(db, state.accountId) : undefined;
        if (!state || !user?.active) return html(reply, 400, renderOtpPage({ action: actionOf(details, 'otp'), error: 'Sign in again.' }));
        const page = (error?: string): string => renderOtpPage({ action: actionOf(details, 'otp'), ...(error ? { error } : {}) });
        const blocked = await throttled(request, reply, user, () => page());
        if (blocked) return blocked;
        const code = codeOf(request.body);
        if (await acceptTotp(db, key, user.id, code, { confirm: false })) {
          await throttle.succeeded(user.email, request.ip);
          await finish(request, reply, user.id, true);
          return reply;
        }
        const left = await inTrail(
          user,
          async (accounts, audit) => {
            const remaining = await useRecoveryCode(accounts, key, user.id, code);
            if (remaining !== undefined) await audit('mfa.recovery_code_used', { recoveryCodesLeft: remaining });
            return remaining;
          },
          request,
        );
        if (left !== undefined) {
          request.log.info({ userId: user.id, recoveryCodesLeft: left }, 'signed in with a recovery code');
          await throttle.succeeded(user.email, request.ip);
          await finish(request, reply, user.id, true);
          return reply;
        }
        request.log.info({ userId: user.id }, 'failed second factor');
        return html(reply, 401, page('That code is not right. Check the time on your phone, or use a recovery code.'));
      });

      scope.post('/oidc/interaction/:uid/enrol', route, async (request, reply) => {
        const details = await provider.interactionDetails(request.raw, reply.raw);
        const state = stageOf(details);
        const user = state?.stage === 'enrol' ? await findLocalUserById(db, state.accountId) : undefined;
        if (!state || !user?.active) return html(reply, 400, renderOtpPage({ action: actionOf(details, 'otp'), error: 'Sign in again.' }));
        const page = async (error?: string): Promise<string> =>
          (await enrolPage(details, user, error)) ?? renderOtpPage({ action: actionOf(details, 'otp') });
        const blocked = await throttled(request, reply, user, () => page());
        if (blocked) return blocked;
        const code = codeOf(request.body);
        const codes = await inTrail(
          user,
          async (accounts, audit) => {
            if (!(await acceptTotp(accounts, key, user.id, code, { confirm: true }))) return undefined;
            const fresh = await replaceRecoveryCodes(accounts, key, user);
            await audit('mfa.enrolled', { method: 'totp', recoveryCodes: fresh.length });
            return fresh;
          },
          request,
        );
        if (!codes) return html(reply, 401, await page('That code is not right. Enter the code the app shows now.'));
        request.log.info({ userId: user.id }, 'MFA enrolled');
        await throttle.succeeded(user.email, request.ip);
        await remember(request, reply, { accountId: user.id, stage: 'codes' });
        return html(reply, 200, renderRecoveryCodesPage({ action: actionOf(details, 'continue'), codes }));
      });

      scope.post('/oidc/interaction/:uid/continue', route, async (request, reply) => {
        const details = await provider.interactionDetails(request.raw, reply.raw);
        const state = stageOf(details);
        const user = state?.stage === 'codes' ? await findLocalUserById(db, state.accountId) : undefined;
        if (!state || !user?.active) return html(reply, 400, renderOtpPage({ action: actionOf(details, 'otp'), error: 'Sign in again.' }));
        await finish(request, reply, user.id, true);
        return reply;
      });
    },
  };
}
