import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { withControl, type ControlTables } from '../../platform/db/index.js';
import {
  consumeAccountToken,
  inspectAccountToken,
  issueAccountToken,
  LINK_TTL_MS,
  revokeAccountTokens,
  setPasswordUrl,
  SIGNIN_TICKET_TTL_MS,
} from './account-links.js';
import {
  renderBadLinkPage,
  renderForgotPasswordPage,
  renderForgotPasswordSentPage,
  renderSetPasswordPage,
  type LinkProblem,
} from './account-pages.js';
import type { LinkAnnouncer } from './invitations.js';
import { findLocalUserByEmail, findLocalUserById, hashPassword } from './local-users.js';
import type { LoginThrottle } from './login-throttle.js';
import { describePasswordProblems, PASSWORD_MAX_LENGTH, passwordProblems } from './password-policy.js';

/** The cookie that carries the sign-in ticket from "set password" to the provider's interaction. */
export const SIGNIN_TICKET_COOKIE = 'ym_signin_ticket';

export type AccountPagesOptions = { db: Kysely<ControlTables>; publicUrl: string; announce: LinkAnnouncer; throttle: LoginThrottle };

const html = (reply: FastifyReply, status: number, body: string): FastifyReply =>
  reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(body);

const field = (body: unknown, name: string, max = PASSWORD_MAX_LENGTH): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
};

/** Reads one cookie from the request (the provider's routes use no cookie plugin). */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The embedded provider's account pages: set a password from an invitation or reset link (which
 * then signs the person in), and "forgot password". Server-rendered, no script, same stylesheet
 * as the sign-in page. A failed attempt (a weak password, a mismatch) consumes nothing.
 */
export async function registerAccountPages(scope: FastifyInstance, options: AccountPagesOptions): Promise<void> {
  const { db, publicUrl, announce, throttle } = options;
  const secure = publicUrl.startsWith('https://');

  scope.get('/account/set-password', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const token = field(request.query, 'token', 200);
    const found = await inspectAccountToken(db, token, ['invitation', 'reset']);
    if (found.state !== 'usable') return html(reply, found.state === 'unknown' ? 404 : 410, renderBadLinkPage(found.state));
    const user = await findLocalUserById(db, found.row.user_id);
    if (!user?.active) return html(reply, 410, renderBadLinkPage('revoked'));
    return html(
      reply,
      200,
      renderSetPasswordPage({ token, email: user.email, purpose: found.row.purpose === 'invitation' ? 'invitation' : 'reset' }),
    );
  });

  scope.post('/account/set-password', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const token = field(request.body, 'token', 200);
    const password = field(request.body, 'password');
    const confirm = field(request.body, 'confirm');
    const found = await inspectAccountToken(db, token, ['invitation', 'reset']);
    if (found.state !== 'usable') return html(reply, found.state === 'unknown' ? 404 : 410, renderBadLinkPage(found.state));
    const user = await findLocalUserById(db, found.row.user_id);
    if (!user?.active) return html(reply, 410, renderBadLinkPage('revoked'));
    const purpose = found.row.purpose === 'invitation' ? 'invitation' : 'reset';
    const problems = passwordProblems(password, { email: user.email });
    const errors = [
      ...(problems.length ? [describePasswordProblems(problems)] : []),
      ...(password !== confirm ? ['The two passwords are not the same.'] : []),
    ];
    if (errors.length) return html(reply, 400, renderSetPasswordPage({ token, email: user.email, purpose, errors }));
    const passwordHash = await hashPassword(password);
    const outcome = await withControl(db, async (tx): Promise<{ ticket: string } | { problem: LinkProblem }> => {
      const again = await inspectAccountToken(tx, token, ['invitation', 'reset'], true);
      if (again.state !== 'usable') return { problem: again.state };
      if (!(await consumeAccountToken(tx, again.row.id))) return { problem: 'used' };
      await tx
        .updateTable('control.local_users')
        .set({ password_hash: passwordHash, updated_at: sql<Date>`now()` })
        .where('id', '=', user.id)
        .execute();
      // Every other open link of the account ends with the new password.
      await revokeAccountTokens(tx, user.id, ['invitation', 'reset']);
      const ticket = await issueAccountToken(tx, {
        userId: user.id,
        tenantSlug: user.tenant_slug,
        purpose: 'signin',
        ttlMs: SIGNIN_TICKET_TTL_MS,
      });
      return { ticket: ticket.token };
    });
    if ('problem' in outcome) return html(reply, 410, renderBadLinkPage(outcome.problem));
    await throttle.succeeded(user.email, request.ip);
    request.log.info({ userId: user.id, purpose }, 'password set from a single-use link');
    // The ticket signs the person in at the provider's next interaction (the web app starts one).
    const cookie = `${SIGNIN_TICKET_COOKIE}=${outcome.ticket}; Path=/oidc; HttpOnly; SameSite=Lax; Max-Age=${SIGNIN_TICKET_TTL_MS / 1000}${secure ? '; Secure' : ''}`;
    return reply.status(303).header('set-cookie', cookie).header('cache-control', 'no-store').header('location', '/').send();
  });

  scope.get('/account/forgot-password', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    html(reply, 200, renderForgotPasswordPage()),
  );

  scope.post('/account/forgot-password', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const email = field(request.body, 'email', 320).trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return html(reply, 400, renderForgotPasswordPage({ email, error: 'Enter an e-mail address.' }));
    // Counted like a sign-in attempt (per account and per address): nobody floods an inbox.
    const wait = await throttle.attempt(email, request.ip);
    if (wait > 0)
      return html(reply, 429, renderForgotPasswordPage({ email, error: `Too many requests. Try again in ${wait} seconds.` })).header(
        'retry-after',
        String(wait),
      );
    const user = await findLocalUserByEmail(db, email);
    if (user?.active) {
      const { token, expiresAt } = await withControl(db, (tx) =>
        issueAccountToken(tx, { userId: user.id, tenantSlug: user.tenant_slug, purpose: 'reset', ttlMs: LINK_TTL_MS }),
      );
      await announce({
        purpose: 'reset',
        email: user.email,
        name: user.name,
        tenantSlug: user.tenant_slug,
        url: setPasswordUrl(publicUrl, token),
        expiresAt: expiresAt.toISOString(),
      });
    }
    // The same page, status and (about the same) time whether or not the account exists.
    return html(reply, 200, renderForgotPasswordSentPage());
  });
}

/**
 * The sign-in ticket of a person who has just set a password: the account it signs in, consumed
 * (single use, 2 minutes). Undefined when there is none or it is not usable.
 */
export async function redeemSigninTicket(db: Kysely<ControlTables>, request: FastifyRequest): Promise<string | undefined> {
  const ticket = cookieOf(request, SIGNIN_TICKET_COOKIE);
  if (!ticket) return undefined;
  return withControl(db, async (tx) => {
    const found = await inspectAccountToken(tx, ticket, ['signin'], true);
    if (found.state !== 'usable' || !(await consumeAccountToken(tx, found.row.id))) return undefined;
    const user = await findLocalUserById(tx, found.row.user_id);
    return user?.active ? user.id : undefined;
  });
}

export const clearSigninTicketCookie = `${SIGNIN_TICKET_COOKIE}=; Path=/oidc; HttpOnly; SameSite=Lax; Max-Age=0`;
