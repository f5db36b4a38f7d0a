import { createHash, randomBytes } from 'node:crypto';

/** A minimal browser stand-in: follows the authorization-code + PKCE flow with a cookie jar. */
export function createOidcBrowser(baseUrl: string) {
  const jar = new Map<string, string>();
  const cookieHeader = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  async function request(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(new URL(url, baseUrl), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    return response;
  }
  return { request, jar };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export type TokenSet = { access_token: string; refresh_token?: string; id_token?: string; expires_in: number; token_type: string };

/** Signs in through the embedded provider's login page (a fresh browser) and returns the token response. */
export async function signInWithCode(baseUrl: string, email: string, password: string): Promise<{ tokens: TokenSet; loginStatus: number }> {
  const { tokens, loginStatus } = await authorizeIn(createOidcBrowser(baseUrl), baseUrl, { email, password });
  return { tokens, loginStatus };
}

export type OidcBrowser = ReturnType<typeof createOidcBrowser>;

/**
 * Runs authorization code + PKCE in `browser` (its cookies included). With `login`, fills the
 * sign-in form when it appears; without, the flow must finish without one (a session or a sign-in
 * ticket already identifies the person). Returns the tokens, whether a form was shown and the
 * status the form's submission got (0 when none was submitted).
 */
export async function authorizeIn(
  browser: OidcBrowser,
  baseUrl: string,
  login?: { email: string; password: string },
): Promise<{ tokens: TokenSet; formShown: boolean; loginStatus: number }> {
  const { verifier, challenge } = pkcePair();
  const redirectUri = `${baseUrl}/auth/callback`;
  const params = new URLSearchParams({
    client_id: 'yardmaster-web',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access api',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  });
  let response = await browser.request(`/oidc/auth?${params.toString()}`);
  let location = response.headers.get('location') ?? '';
  let formShown = false;
  let loginStatus = 0;
  for (let hop = 0; hop < 10 && !location.startsWith(redirectUri); hop++) {
    response = await browser.request(location);
    if (response.status === 200 && /\/oidc\/interaction\/[^/]+$/.test(new URL(location, baseUrl).pathname)) {
      formShown = true;
      if (!login) throw new Error('the sign-in form was shown');
      const action = /action="([^"]+)"/.exec(await response.text())?.[1] ?? '';
      response = await browser.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(login).toString(),
      });
      loginStatus = response.status;
      if (response.status !== 303) throw new Error(`login failed with ${response.status}`);
    }
    location = response.headers.get('location') ?? '';
    if (!location) throw new Error(`flow stopped at ${response.status}: ${await response.text()}`);
  }
  const code = new URL(location, baseUrl).searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  const tokenResponse = await fetch(`${baseUrl}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: 'yardmaster-web',
      code_verifier: verifier,
    }),
  });
  if (!tokenResponse.ok) throw new Error(`token endpoint: ${tokenResponse.status} ${await tokenResponse.text()}`);
  return { tokens: (await tokenResponse.json()) as TokenSet, formShown, loginStatus };
}

/** Opens a set-password link and submits the form; the response of the POST. */
export async function setPasswordFromLink(browser: OidcBrowser, link: string, password: string, confirm = password): Promise<Response> {
  const page = await browser.request(link);
  if (page.status !== 200) return page;
  const html = await page.text();
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return browser.request('/account/set-password', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, password, confirm }).toString(),
  });
}
