import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { ControlTables } from '../../platform/db/index.js';
import type { Mailer, MailMessage } from '../../platform/mail.js';
import type { TrustedIssuer } from './auth.verify.js';
import { LOGIN_CSS, renderLoginPage, renderLogoutPage, renderSignedOutPage } from './login-page.js';
import { authenticateLocalUser, findLocalUserById } from './local-users.js';
import { createLoginThrottle } from './login-throttle.js';
import { createDbAdapterFactory } from './oidc-adapter.js';
import { serviceAccountClients } from './service-account-clients.js';
import { clearSigninTicketCookie, redeemSigninTicket, registerAccountPages } from './account-routes.js';
import type { LinkAnnouncer } from './invitations.js';
import { ACR_MFA, ACR_PASSWORD, loadOrCreateMfaKey, tokenAuthenticationClaims, type MfaKey } from './mfa.js';
import { createMfaSignIn } from './mfa-signin.js';
import { createSessionRecorder } from './account-sessions.js';
import { SESSION_CLAIM } from './ended-grants.js';

export const EMBEDDED_CLIENT_ID = 'yardmaster-web';
export const API_RESOURCE = 'urn:yardmaster:api';
export const API_SCOPE = 'api';
export const WEB_SCOPES = `openid profile email offline_access ${API_SCOPE}`;
const ACCESS_TOKEN_TTL_S = 300;

type Keys = { signing: JWK; cookieSecrets: string[] };

/** Signing key and cookie secret, generated once and kept (0600) in the data folder. */
async function loadOrCreateKeys(dir: string): Promise<Keys> {
  const file = path.join(dir, 'identity-keys.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Keys;
  mkdirSync(dir, { recursive: true });
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signing = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
  const keys: Keys = { signing, cookieSecrets: [randomBytes(32).toString('base64url')] };
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  chmodSync(file, 0o600);
  return keys;
}

function publicPart(jwk: JWK): JWK {
  const { kty, n, e, kid, alg, use } = jwk;
  return { kty, n, e, kid, alg, use };
}

export type EmbeddedIdentity = {
  issuer: string;
  /** Where integrations obtain tokens with the client-credentials grant (service accounts). */
  tokenEndpoint: string;
  /** The server's public base URL (links in invitations and resets point there). */
  publicUrl: string;
  trusted: TrustedIssuer;
  /** Encrypts TOTP secrets and keys recovery-code hashes (data folder, never the database). */
  mfaKey: MfaKey;
  /** Mounts the provider, its sign-in page and the account pages; `announce` delivers account links (log, e-mail). */
  mount: (app: FastifyInstance, extras?: { announce?: LinkAnnouncer }) => Promise<void>;
};

/**
 * Delivers account links. With a mailer, the person gets an e-mail and the log records only that
 * it was sent; without one (or when sending fails) the link itself is written to the log, so it is
 * never lost; the admin who made an invitation also has it in the API answer.
 */
export const linkAnnouncer =
  (log: FastifyInstance['log'], mailer?: Mailer): LinkAnnouncer =>
  async (link) => {
    const about = { purpose: link.purpose, email: link.email, tenant: link.tenantSlug, expiresAt: link.expiresAt };
    if (mailer) {
      try {
        await mailer.send(accountLinkMail(link));
        log.info(about, `account ${link.purpose} e-mail sent to ${link.email}`);
        return;
      } catch (error) {
        log.error(
          { ...about, err: error, link: link.url },
          `account ${link.purpose} e-mail to ${link.email} failed; the link is here instead`,
        );
        return;
      }
    }
    log.info({ ...about, link: link.url }, `account ${link.purpose} link for ${link.email} (no SMTP_URL: not e-mailed)`);
  };

/** The e-mail that carries an invitation or a reset link. */
export function accountLinkMail(link: Parameters<LinkAnnouncer>[0]): MailMessage {
  const greeting = link.name.trim() ? `Hello ${link.name.trim()},` : 'Hello,';
  const expires = new Date(link.expiresAt).toUTCString();
  if (link.purpose === 'invitation') {
    return {
      to: link.email,
      subject: 'Your Yardmaster invitation',
      text: `${greeting}\n\nYou have been invited to Yardmaster${link.tenantSlug ? ` (organisation "${link.tenantSlug}")` : ''}.\nChoose your password here (the link works once, until ${expires}):\n\n${link.url}\n\nIf you did not expect this e-mail, ignore it.\n`,
    };
  }
  return {
    to: link.email,
    subject: 'Reset your Yardmaster password',
    text: `${greeting}\n\nSomeone asked to reset the password of your Yardmaster account.\nChoose a new password here (the link works once, until ${expires}):\n\n${link.url}\n\nIf it was not you, ignore this e-mail: your password stays as it is.\n`,
  };
}

export type EmbeddedIdentityOptions = {
  db: Kysely<ControlTables>;
  publicUrl: string;
  dataDir: string;
  audience: string;
  tenantClaim: string;
  trustProxy: boolean;
  /** Extra origins accepted as redirect URIs (the Vite dev server, DEV_WEB_ORIGIN; development only). */
  devOrigins?: string[];
};

/**
 * The embedded OpenID provider (oidc-provider), used when no OIDC_ISSUER is configured. It issues
 * access tokens shaped like Keycloak's (realm_access.roles, the tenant claim, name, e-mail), so
 * the rest of the server cannot tell the two apart. Authorization code + PKCE for people (refresh
 * tokens rotated), the client-credentials grant for service accounts of integrations, a plain login page with failed-login throttling, RP-initiated logout.
 */
export async function createEmbeddedIdentity(options: EmbeddedIdentityOptions): Promise<EmbeddedIdentity> {
  const { db, publicUrl, audience, tenantClaim } = options;
  const issuer = `${publicUrl}/oidc`;
  const keys = await loadOrCreateKeys(options.dataDir);
  const origins = [publicUrl, ...(options.devOrigins ?? [])];
  const throttle = createLoginThrottle(db);
  // Sessions as people see them (list, limit, audit); its hooks log failures and never break a sign-in.
  const sessions = createSessionRecorder(db);
  let log: FastifyInstance['log'] | undefined;
  const quietly = (what: string, work: Promise<void>): void => {
    work.catch((error: unknown) => log?.error({ err: error }, `session bookkeeping failed: ${what}`));
  };
  const originOf = (ctx: KoaContextWithOIDC) => ({ ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null });

  const storage = createDbAdapterFactory(db);
  // Service accounts are clients found in their table (client-credentials grant only).
  const serviceAccounts = serviceAccountClients(db, tenantClaim);
  const configuration: Configuration = {
    adapter: (model) => (model === 'Client' ? serviceAccounts.adapter : storage(model)),
    clients: [
      {
        client_id: EMBEDDED_CLIENT_ID,
        client_name: 'Yardmaster web app',
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: origins.map((o) => `${o}/auth/callback`),
        post_logout_redirect_uris: origins.map((o) => `${o}/`),
      },
    ],
    jwks: { keys: [keys.signing] },
    cookies: { keys: keys.cookieSecrets },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // Its own pages instead of the provider's, whose inline styles the CSP refuses.
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = renderLogoutPage(form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = renderSignedOutPage();
        },
      },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: API_SCOPE,
          audience,
          accessTokenTTL: ACCESS_TOKEN_TTL_S,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_S,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 12 * 3600,
      Grant: 12 * 3600,
      RefreshToken: 12 * 3600,
      ClientCredentials: ACCESS_TOKEN_TTL_S,
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) => {
      const user = await findLocalUserById(db, sub);
      if (!user?.active) return undefined;
      return {
        accountId: user.id,
        claims: () => ({ sub: user.id, name: user.name, preferred_username: user.email, email: user.email }),
      };
    },
    acrValues: [ACR_PASSWORD, ACR_MFA],
    extraTokenClaims: async (ctx, token) => {
      if (token.kind === 'ClientCredentials') return serviceAccounts.tokenClaims(String(token.clientId));
      const accountId = (token as { accountId?: string }).accountId;
      if (!accountId) return undefined;
      const user = await findLocalUserById(db, accountId);
      if (!user) return undefined;
      const grantId = (token as { grantId?: string }).grantId;
      return {
        // The sign-in session the token belongs to: the API stops honouring it when that ends.
        ...(grantId ? { [SESSION_CLAIM]: grantId } : {}),
        realm_access: { roles: user.roles },
        ...(user.tenant_slug ? { [tenantClaim]: user.tenant_slug } : {}),
        name: user.name,
        email: user.email,
        preferred_username: user.email,
        ...tokenAuthenticationClaims(ctx),
      };
    },
    // First-party client: the user signing in is consent enough.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const client = ctx.oidc.client;
      const session = ctx.oidc.session;
      if (!client || !session?.accountId) return undefined;
      const existing = (ctx.oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? session.grantIdFor(client.clientId);
      if (existing) {
        const found = await ctx.oidc.provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid profile email offline_access');
      grant.addResourceScope(API_RESOURCE, API_SCOPE);
      const grantId = await grant.save();
      // A new grant is a new sign-in: listed, counted against the limit, audited.
      await sessions
        .signedIn({ accountId: session.accountId, grantId, sessionUid: session.uid ?? null, origin: originOf(ctx) })
        .catch((error: unknown) => log?.error({ err: error }, 'session bookkeeping failed: sign-in'));
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Sign-in error</title><h1>Sign-in error</h1><p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`;
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = options.trustProxy;
  serviceAccounts.install(provider);
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantId = ctx.oidc.entities.Grant?.jti;
    if (grantId && ctx.oidc.params?.grant_type === 'refresh_token') quietly('token renewal', sessions.used(grantId));
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) =>
    quietly('sign-out', sessions.signedOut(grantId, originOf(ctx))),
  );
  const callback = provider.callback();
  const mfaKey = loadOrCreateMfaKey(options.dataDir);
  const mfa = createMfaSignIn({ provider, db, key: mfaKey, throttle, issuer });

  const trusted: TrustedIssuer = {
    issuer,
    audience,
    keys: createLocalJWKSet({ keys: [publicPart(keys.signing)] }),
    tenantClaim,
    clientId: EMBEDDED_CLIENT_ID,
  };

  type Details = Awaited<ReturnType<typeof provider.interactionDetails>>;
  async function grantMissing(details: Details): Promise<string> {
    const { prompt, params, session } = details;
    const found = typeof prompt.details.grantId === 'string' ? await provider.Grant.find(prompt.details.grantId) : undefined;
    const grant = found ?? new provider.Grant({ accountId: session?.accountId, clientId: String(params.client_id) });
    const missingScope = prompt.details.missingOIDCScope as string[] | undefined;
    const missingClaims = prompt.details.missingOIDCClaims as string[] | undefined;
    const missingResource = prompt.details.missingResourceScopes as Record<string, string[]> | undefined;
    if (missingScope) grant.addOIDCScope(missingScope.join(' '));
    if (missingClaims) grant.addOIDCClaims(missingClaims);
    for (const [indicator, scopes] of Object.entries(missingResource ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    return grant.save();
  }

  const passToProvider = (request: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    raw.originalUrl = raw.url;
    raw.url = (raw.url ?? '/').slice('/oidc'.length) || '/';
    void callback(raw, reply.raw);
  };

  async function mount(app: FastifyInstance, extras: { announce?: LinkAnnouncer } = {}): Promise<void> {
    const announce = extras.announce ?? linkAnnouncer(app.log);
    log = app.log;
    // The provider reads its own request bodies: no parsing in this scope.
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      for (const url of ['/oidc', '/oidc/*']) {
        scope.route({
          method: ['GET', 'POST', 'OPTIONS'],
          url,
          config: { access: 'public' },
          schema: { hide: true },
          handler: passToProvider,
        });
      }
    });
    // The login page of an interaction.
    await app.register(async (scope) => {
      await scope.register(formbody);
      scope.get('/oidc/login.css', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
        reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(LOGIN_CSS),
      );
      scope.get('/oidc/interaction/:uid', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
        const details = await provider.interactionDetails(request.raw, reply.raw);
        if (details.prompt.name === 'consent') {
          // First-party client: signing in is consent enough; grant what is missing and resume.
          reply.hijack();
          await provider.interactionFinished(
            request.raw,
            reply.raw,
            { consent: { grantId: await grantMissing(details) } },
            { mergeWithLastSubmission: true },
          );
          return;
        }
        // A second factor is due (the page was reloaded): the same step again.
        const pending = details.prompt.name === 'login' ? await mfa.resume(reply, details) : undefined;
        if (pending) return pending;
        // Just set a password from a link: that is the first factor (the ticket is single use).
        const ticketAccount = details.prompt.name === 'login' ? await redeemSigninTicket(db, request) : undefined;
        const ticketUser = ticketAccount ? await findLocalUserById(db, ticketAccount) : undefined;
        if (ticketUser) {
          reply.raw.setHeader('set-cookie', clearSigninTicketCookie);
          return mfa.afterFirstFactor(request, reply, details, ticketUser, { passwordCounted: false });
        }
        return reply
          .type('text/html')
          .header('cache-control', 'no-store')
          .send(renderLoginPage({ action: `/oidc/interaction/${details.uid}/login`, email: loginHintOf(details.params) }));
      });
      scope.post('/oidc/interaction/:uid/login', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
        const details = await provider.interactionDetails(request.raw, reply.raw);
        const body = (request.body ?? {}) as { email?: unknown; password?: unknown };
        const email = typeof body.email === 'string' ? body.email.trim().slice(0, 320) : '';
        const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
        const action = `/oidc/interaction/${details.uid}/login`;
        // Counted before the password is checked, per account and per address, on every instance.
        const wait = await throttle.attempt(email, request.ip);
        if (wait > 0) {
          return reply
            .status(429)
            .header('retry-after', String(wait))
            .type('text/html')
            .send(renderLoginPage({ action, email, error: `Too many failed attempts. Try again in ${wait} seconds.` }));
        }
        const user = email && password ? await authenticateLocalUser(db, email, password) : undefined;
        if (!user) {
          request.log.info({ email }, 'failed sign-in');
          // Audited once the answer is sent: the same timing whether or not the e-mail has an account.
          const origin = { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
          reply.raw.once('finish', () => quietly('failed sign-in', sessions.failed(email, origin)));
          return reply
            .status(401)
            .type('text/html')
            .send(renderLoginPage({ action, email, error: 'Wrong e-mail or password.' }));
        }
        // The password was right: the second factor when one is due, else signed in.
        return mfa.afterFirstFactor(request, reply, details, user, { passwordCounted: true });
      });
      mfa.register(scope);
      await registerAccountPages(scope, { db, publicUrl, announce, throttle });
    });
  }

  return { issuer, publicUrl, trusted, mfaKey, mount, tokenEndpoint: `${issuer}/token` };
}

/** The e-mail address the web app passed as `login_hint` (typed on its organisation sign-in page), to prefill the form. */
function loginHintOf(params: Record<string, unknown>): string | undefined {
  const hint = params.login_hint;
  return typeof hint === 'string' && hint.length <= 320 && hint.includes('@') ? hint : undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
