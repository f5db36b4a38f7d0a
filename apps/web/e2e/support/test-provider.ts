import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

export type TestProviderUser = { sub: string; username: string; password: string; name: string; email: string; roles: string[] };

export type TestProvider = {
  issuer: string;
  clientId: string;
  audience: string;
  /** How many times its sign-in form was submitted (a silent sign-in submits nothing). */
  logins: () => number;
  stop: () => Promise<void>;
};

const RESOURCE = 'urn:test:yardmaster';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += (chunk as Buffer).toString();
  return new URLSearchParams(body);
}

/**
 * A second OpenID provider run by the test (oidc-provider on 127.0.0.1, a free port), standing in
 * for a customer's own: one person, a public client for the web app (authorization code + PKCE),
 * access tokens as JWTs for `audience` carrying the person's role names in a `roles` claim.
 */
export async function startTestProvider(options: { appOrigin: string; user: TestProviderUser }): Promise<TestProvider> {
  const { appOrigin, user } = options;
  const clientId = 'yardmaster-web';
  const audience = 'yardmaster-test-api';
  // The provider needs its issuer (this server's port) before it can answer: set once listening.
  const route: { handle?: RequestListener } = {};
  const server: Server = createServer((req, res) => route.handle?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  let logins = 0;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${appOrigin}/auth/callback`],
        post_logout_redirect_uris: [`${appOrigin}/`],
      },
    ],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'profile', audience, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600 },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) =>
      sub === user.sub ? { accountId: sub, claims: () => ({ sub, name: user.name, email: user.email }) } : undefined,
    extraTokenClaims: async () => ({ name: user.name, email: user.email, roles: user.roles }),
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const client = ctx.oidc.client;
      const accountId = ctx.oidc.session?.accountId;
      if (!client || !accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId });
      grant.addOIDCScope('openid profile email offline_access');
      grant.addResourceScope(RESOURCE, 'profile');
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  route.handle = (req, res) => {
    const url = req.url ?? '/';
    const match = /^\/interaction\/([^/?]+)(\/login)?/.exec(url);
    if (!match) return void callback(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (req.method === 'POST' && match[2]) {
          const form = await formOf(req);
          if (form.get('username') === user.username && form.get('password') === user.password) {
            logins += 1;
            await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
            return;
          }
        }
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(`<!doctype html><html lang="en"><head><title>Test provider</title></head><body><main>
<h1>Test Identity Provider</h1>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
<label for="username">Username</label> <input id="username" name="username">
<label for="pw">Passphrase</label> <input id="pw" name="password" type="password">
<button type="submit">Log in</button></form></main></body></html>`);
      } catch (error) {
        res.statusCode = 400;
        res.end(String(error));
      }
    })();
  };

  return {
    issuer,
    clientId,
    audience,
    logins: () => logins,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
