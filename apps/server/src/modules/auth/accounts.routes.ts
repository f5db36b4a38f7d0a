import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { decodeJwt } from 'jose';
import type { Kysely } from 'kysely';
import {
  AccountParamsSchema,
  AccountSessionListSchema,
  ChangePasswordSchema,
  EndedSessionsSchema,
  PlatformAccountQuerySchema,
  PlatformAccountSchema,
} from '@yardmaster/contracts';
import type { ControlTables } from '../../platform/db/index.js';
import { unauthorized } from '../../platform/errors.js';
import {
  changeOwnPassword,
  findAccountForOperator,
  forceSignOutAccount,
  ownAccount,
  setAccountActive,
  signOutEverywhere,
  TooManyAttempts,
  type AccountActor,
} from './account-lifecycle.js';
import { listAccountSessions } from './account-sessions.js';
import { bearerTokenOf } from './auth.verify.js';
import { SESSION_CLAIM } from './ended-grants.js';
import { createLoginThrottle } from './login-throttle.js';

const actorOf = (request: FastifyRequest): AccountActor => {
  const actor = request.actor;
  if (!actor) throw unauthorized('authentication required');
  return { subject: actor.subject, issuer: actor.issuer, name: actor.name };
};

const originOf = (request: FastifyRequest) => {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null };
};

/** The sign-in session (grant) the request's token belongs to; the token was verified by the access hook. */
const currentGrantOf = (request: FastifyRequest): string | null => {
  const claim = decodeJwt(bearerTokenOf(request))[SESSION_CLAIM];
  return typeof claim === 'string' ? claim : null;
};

/**
 * Accounts of the embedded identity provider: a person's own account (password, sessions) and the
 * platform operator's account administration. Tenant admins act on their members through the
 * users module (deactivate, force sign-out), which calls into this module's member accounts.
 */
export function accountsRoutes(db: Kysely<ControlTables>, embeddedIssuer: string) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const throttle = createLoginThrottle(db);

    r.get(
      '/api/v1/account/sessions',
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['identity'],
          summary: 'My sessions: where I am signed in (browser, sign-in time, last use)',
          response: { 200: AccountSessionListSchema },
        },
      },
      async (request) => {
        const user = await ownAccount(db, actorOf(request), embeddedIssuer);
        return { items: await listAccountSessions(db, user.id, currentGrantOf(request)) };
      },
    );
    r.post(
      '/api/v1/account/sessions/sign-out-all',
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['identity'],
          summary: 'Sign out everywhere: every session ends, this one included',
          response: { 200: EndedSessionsSchema },
        },
      },
      async (request) => {
        const user = await ownAccount(db, actorOf(request), embeddedIssuer);
        return { ended: await signOutEverywhere(db, user, originOf(request)) };
      },
    );
    r.post(
      '/api/v1/account/password',
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['identity'],
          summary: 'Change my password (the current one is required; the password policy applies)',
          body: ChangePasswordSchema,
        },
      },
      async (request, reply) => {
        const user = await ownAccount(db, actorOf(request), embeddedIssuer);
        try {
          await changeOwnPassword(db, throttle, user, originOf(request), request.body);
        } catch (error) {
          if (error instanceof TooManyAttempts) reply.header('retry-after', String(error.waitS));
          throw error;
        }
        return reply.status(204).send();
      },
    );

    // The platform operator's account administration.
    r.get(
      '/api/v1/platform/accounts',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['platform'],
          summary: 'Find an account by e-mail',
          querystring: PlatformAccountQuerySchema,
          response: { 200: PlatformAccountSchema },
        },
      },
      async (request) => findAccountForOperator(db, request.query.email),
    );
    for (const [action, active] of [
      ['deactivate', false],
      ['reactivate', true],
    ] as const) {
      r.post(
        `/api/v1/platform/accounts/:id/${action}`,
        {
          config: { access: 'operator' },
          schema: {
            tags: ['platform'],
            summary: active
              ? 'Reactivate an account (it may sign in again)'
              : 'Deactivate an account: its sessions and refresh tokens end at once, its access tokens stop working',
            params: AccountParamsSchema,
            response: { 200: PlatformAccountSchema },
          },
        },
        async (request) => setAccountActive(db, actorOf(request), originOf(request), { id: request.params.id, active }),
      );
    }
    r.post(
      '/api/v1/platform/accounts/:id/sign-out',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['platform'],
          summary: 'Sign an account out of every session',
          params: AccountParamsSchema,
          response: { 200: EndedSessionsSchema },
        },
      },
      async (request) => ({ ended: await forceSignOutAccount(db, actorOf(request), originOf(request), request.params.id) }),
    );
  };
}
