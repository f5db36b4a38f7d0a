import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { createOidcBrowser, pkcePair } from './support/oidc-client.js';

/** The CSP header as directive → sources. */
function cspOf(header: string | string[] | number | undefined | null): Map<string, string[]> {
  const text = String(header ?? '');
  return new Map(
    text
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name ?? '', sources]),
  );
}

/** What a strict policy means here: no inline script or eval anywhere, nobody may frame us. */
function expectStrictCsp(
  header: string | string[] | number | undefined | null,
  options: { inlineStyles?: boolean } = {},
): Map<string, string[]> {
  const csp = cspOf(header);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(csp.get('object-src')).toEqual(["'none'"]);
  for (const directive of ['default-src', 'script-src', ...(options.inlineStyles ? [] : ['style-src'])]) {
    const sources = csp.get(directive) ?? [];
    expect(sources, directive).toContain("'self'");
    expect(sources, directive).not.toContain("'unsafe-inline'");
    expect(sources, directive).not.toContain("'unsafe-eval'");
    expect(sources, directive).not.toContain('*');
  }
  return csp;
}

describe(`security headers on ${testDbKind()}`, () => {
  let database: Database;
  let t: TestApp;
  let proxied: TestApp;

  beforeAll(async () => {
    database = await openTestDatabase();
    t = await createTestApp(database);
    proxied = await createTestApp(database, { TRUST_PROXY: 'true' }, { identity: t.identity });
  });
  afterAll(async () => {
    await t.app.close();
    await proxied.app.close();
    await database.close();
  });

  it('sends CSP, nosniff, a referrer policy and frame denial on API answers, errors included', async () => {
    for (const url of ['/api/v1/client-config', '/api/v1/me', '/api/v1/nowhere', '/healthz']) {
      const response = await t.app.inject({ method: 'GET', url });
      expectStrictCsp(response.headers['content-security-policy']);
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['referrer-policy'], url).toBe('no-referrer');
      expect(response.headers['x-frame-options'], url).toBe('DENY');
    }
  });

  it('sends HSTS only over HTTPS: never on plain HTTP, and behind a proxy only when TRUST_PROXY is on', async () => {
    const plain = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const spoofed = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
    const viaProxy = await proxied.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(viaProxy.headers['strict-transport-security']).toMatch(/^max-age=\d{7,}/);
    const proxyHttp = await proxied.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'http' } });
    expect(proxyHttp.headers['strict-transport-security']).toBeUndefined();
  });

  it('keeps Swagger UI working: its page and scripts come from this origin (its own <style> is allowed there only)', async () => {
    const redirect = await t.app.inject({ method: 'GET', url: '/docs' });
    expectStrictCsp(redirect.headers['content-security-policy'], { inlineStyles: true });
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expectStrictCsp(docs.headers['content-security-policy'], { inlineStyles: true });
    expect(docs.body).not.toMatch(/<script>(?!\s*<\/script>)|<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
    for (const src of [...docs.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] ?? '')) {
      expect(src.startsWith('http')).toBe(false);
      const script = await t.app.inject({ method: 'GET', url: new URL(src, 'http://x/docs/').pathname });
      expect(script.statusCode, src).toBe(200);
    }
  });

  it('serves the web app with a fresh style nonce in its policy and in the page, and no inline script', async () => {
    const webDir = mkdtempSync(path.join(tmpdir(), 'ym-web-'));
    writeFileSync(
      path.join(webDir, 'index.html'),
      '<!doctype html><html><head><meta name="csp-nonce" content="__CSP_NONCE__"><script type="module" src="/assets/app.js"></script></head><body><div id="root"></div></body></html>',
    );
    const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', SEED_DEMO: 'false' });
    const app = await buildApp({ config, database, trustedIssuer: t.identity.trusted, webDir });
    try {
      const pages = await Promise.all(['/', '/dispatch'].map((url) => app.inject({ method: 'GET', url })));
      const nonces = pages.map((page) => {
        expect(page.statusCode).toBe(200);
        const csp = expectStrictCsp(page.headers['content-security-policy']);
        const nonce = /<meta name="csp-nonce" content="([^"]+)">/.exec(page.body)?.[1] ?? '';
        expect(nonce).toMatch(/^[A-Za-z0-9+/=_-]{16,}$/);
        expect(csp.get('style-src')).toContain(`'nonce-${nonce}'`);
        return nonce;
      });
      expect(nonces[0]).not.toBe(nonces[1]);
    } finally {
      await app.close();
      rmSync(webDir, { recursive: true, force: true });
    }
  });
});

describe(`the embedded provider's pages under the CSP on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  beforeAll(async () => {
    database = await openTestDatabase();
    server = await startEmbeddedTestApp(database);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('serves the login page with a strict policy, no inline script or style, and its stylesheet from this origin', async () => {
    const browser = createOidcBrowser(server.baseUrl);
    const { challenge } = pkcePair();
    const params = new URLSearchParams({
      client_id: 'yardmaster-web',
      response_type: 'code',
      redirect_uri: `${server.baseUrl}/auth/callback`,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const start = await browser.request(`/oidc/auth?${params.toString()}`);
    expectStrictCsp(start.headers.get('content-security-policy'));
    const login = await browser.request(start.headers.get('location') ?? '');
    expect(login.status).toBe(200);
    expectStrictCsp(login.headers.get('content-security-policy'));
    expect(login.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await login.text();
    expect(html).toContain('<form');
    expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    const css = await browser.request('/oidc/login.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});
