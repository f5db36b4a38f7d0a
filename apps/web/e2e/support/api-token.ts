import { createHash, randomBytes } from 'node:crypto';

/**
 * An access token of the embedded provider for API calls that set up a browser test (the web app
 * keeps its tokens in memory, out of reach): authorization code + PKCE with a cookie jar.
 */
export async function accessTokenFor(baseUrl: string, who: { email: string; password: string }): Promise<string> {
  const jar = new Map<string, string>();
  const request = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const response = await fetch(new URL(url, baseUrl), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    return response;
  };
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = `${baseUrl}/auth/callback`;
  const params = new URLSearchParams({
    client_id: 'yardmaster-web',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access api',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  });
  let response = await request(`/oidc/auth?${params.toString()}`);
  let location = response.headers.get('location') ?? '';
  for (let hop = 0; hop < 10 && !location.startsWith(redirectUri); hop++) {
    response = await request(location);
    if (response.status === 200) {
      const action = /action="([^"]+)"/.exec(await response.text())?.[1] ?? '';
      response = await request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(who).toString(),
      });
    }
    location = response.headers.get('location') ?? '';
    if (!location) throw new Error(`sign-in stopped at ${response.status}`);
  }
  const code = new URL(location, baseUrl).searchParams.get('code') ?? '';
  const tokens = await fetch(`${baseUrl}/oidc/token`, {
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
  if (!tokens.ok) throw new Error(`token endpoint: ${tokens.status}`);
  return ((await tokens.json()) as { access_token: string }).access_token;
}

/** A call the API refused, with its status (the message carries the server's answer). */
export class ApiRefusal extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export type Api = <T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<T>;

/** JSON calls to the API with a bearer token, for a browser test's own set-up; a refused call throws with the server's answer. */
export function apiAs(baseUrl: string, token: string): Api {
  return async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiRefusal(`${method} ${path}: ${response.status} ${text}`, response.status);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/**
 * The API as `who`, signed in on first use and again when their session has ended: a person has
 * at most 3 sessions, so the browser sign-ins of a long test can end this one (as they would a
 * real person's oldest device).
 */
export function apiFor(baseUrl: string, who: { email: string; password: string }): Api {
  let token: Promise<string> | null = null;
  return async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      token ??= accessTokenFor(baseUrl, who);
      try {
        return await apiAs(baseUrl, await token)<T>(method, path, body, headers);
      } catch (error) {
        if (attempt > 0 || !(error instanceof ApiRefusal) || error.status !== 401) throw error;
        token = null;
      }
    }
  };
}
