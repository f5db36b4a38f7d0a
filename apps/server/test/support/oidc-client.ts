import { createHash, randomBytes } from 'node:crypto';
import type { TestAuthenticator } from './mfa.js';

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
 * ticket already identifies the person). With `mfa`, answers the two-step pages as a person with
 * that authenticator would (enrolment: reads the key off the page, keeps the recovery codes).
 * Returns the tokens, whether the password form was shown, every form answered (in order), and
 * the status the password form's submission got (303; 0 when none was shown).
 */
export async function authorizeIn(
  browser: OidcBrowser,
  baseUrl: string,
  login?: { email: string; password: string },
  mfa?: TestAuthenticator,
): Promise<{ tokens: TokenSet; formShown: boolean; steps: string[]; loginStatus: number }> {
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
  const steps: string[] = [];
  for (let hop = 0; hop < 10 && !location.startsWith(redirectUri); hop++) {
    response = await browser.request(location);
    if (response.status === 200 && /\/oidc\/interaction\/[^/]+$/.test(new URL(location, baseUrl).pathname)) {
      response = await answerForms(browser, await response.text(), steps, login, mfa);
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
  // Reaching the token endpoint means the password form (if shown) was accepted with a redirect.
  return {
    tokens: (await tokenResponse.json()) as TokenSet,
    formShown: steps.includes('login'),
    steps,
    loginStatus: steps.includes('login') ? 303 : 0,
  };
}

/** Answers the provider's pages (password, enrolment, code, recovery codes) until one redirects. */
async function answerForms(
  browser: OidcBrowser,
  firstPage: string,
  steps: string[],
  login?: { email: string; password: string },
  mfa?: TestAuthenticator,
): Promise<Response> {
  let page = firstPage;
  for (let round = 0; round < 6; round++) {
    const action = /action="([^"]+)"/.exec(page)?.[1] ?? '';
    const step = action.split('/').pop() ?? '';
    steps.push(step);
    let body: Record<string, string> = {};
    if (step === 'login') {
      if (!login) throw new Error('the sign-in form was shown');
      body = login;
    } else if (step === 'enrol' || step === 'otp') {
      if (!mfa) throw new Error(`two-step sign-in asked (${step})`);
      if (step === 'enrol') mfa.secret = (/id="secret">([^<]+)</.exec(page)?.[1] ?? '').replace(/\s+/g, '');
      body = { code: await mfa.code() };
    } else if (step === 'continue') {
      if (mfa) mfa.recoveryCodes = [...page.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1] ?? '');
    } else {
      throw new Error(`unexpected page: ${page.slice(0, 300)}`);
    }
    const response = await browser.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    if (response.status === 303) return response;
    if (response.status !== 200) throw new Error(`${step} failed with ${response.status}`);
    page = await response.text();
  }
  throw new Error('too many forms');
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
