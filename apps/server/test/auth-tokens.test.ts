import { createHmac, createPublicKey } from 'node:crypto';
import { SignJWT, generateKeyPair, importJWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Every token rule, each its own case, with tokens signed by the embedded provider's real key
 * (and by a foreign key): only a well-formed RS256/ES256 token of the trusted issuer, for our
 * audience, inside its validity window, passes.
 */
describe(`access token rules on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  let tenant: TenantRecord;
  let signing: Awaited<ReturnType<EmbeddedTestApp['signingKey']>>;

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'tok');
    server = await startEmbeddedTestApp(database);
    signing = await server.signingKey();
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  const claims = (): JWTPayload & Record<string, unknown> => ({
    realm_access: { roles: ['viewer'] },
    org: tenant.slug,
    name: 'Tess Token',
    email: 'tess@example.test',
  });

  function sign(
    overrides: {
      header?: { alg: string; kid: string };
      payload?: Record<string, unknown>;
      issuer?: string;
      audience?: string;
      exp?: number | string;
      nbf?: number | string;
    } = {},
  ) {
    let jwt = new SignJWT({ ...claims(), ...overrides.payload })
      .setProtectedHeader({ typ: 'at+jwt', ...(overrides.header ?? { alg: 'RS256', kid: signing.kid }) })
      .setSubject('tess')
      .setIssuer(overrides.issuer ?? server.identity.issuer)
      .setAudience(overrides.audience ?? 'yardmaster')
      .setIssuedAt()
      .setExpirationTime(overrides.exp ?? '5m');
    if (overrides.nbf !== undefined) jwt = jwt.setNotBefore(overrides.nbf);
    return jwt;
  }

  async function callMe(token: string | undefined, header?: string) {
    const response = await server.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: header !== undefined ? { authorization: header } : token ? { authorization: `Bearer ${token}` } : {},
    });
    return {
      status: response.statusCode,
      type: String(response.headers['content-type']),
      body: response.json<{ detail?: string; roles?: string[] }>(),
    };
  }

  async function expectRejected(token: string | undefined, detail: RegExp, header?: string) {
    const result = await callMe(token, header);
    expect(result.status).toBe(401);
    expect(result.type).toContain('application/problem+json');
    expect(result.body.detail).toMatch(detail);
  }

  it('accepts a valid token signed by the provider key (control case)', async () => {
    const result = await callMe(await sign().sign(signing.key));
    expect(result.status).toBe(200);
    expect(result.body.roles).toEqual(['viewer']);
  });

  it('rejects a request without a token', async () => {
    await expectRejected(undefined, /Bearer token is required/);
  });

  it('rejects an Authorization header that is not a bearer token', async () => {
    await expectRejected(undefined, /must be "Bearer <token>"/, 'Basic dXNlcjpwYXNz');
  });

  it('rejects an expired token', async () => {
    const past = Math.floor(Date.now() / 1000) - 600;
    const token = await sign({ exp: past })
      .setIssuedAt(past - 300)
      .sign(signing.key);
    await expectRejected(token, /expired/);
  });

  it('rejects a token that is not yet valid (nbf)', async () => {
    await expectRejected(await sign({ nbf: '10m', exp: '20m' }).sign(signing.key), /not yet valid/);
  });

  it('rejects a token from the wrong issuer', async () => {
    await expectRejected(await sign({ issuer: 'https://evil.example/oidc' }).sign(signing.key), /untrusted issuer/);
  });

  it('rejects a token for another audience', async () => {
    await expectRejected(await sign({ audience: 'some-other-api' }).sign(signing.key), /audience/);
  });

  it('rejects a token signed by a foreign key under the provider key id', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await expectRejected(await sign().sign(privateKey), /signature is invalid/);
  });

  it('rejects a token signed by a foreign key with an unknown key id', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await sign({ header: { alg: 'RS256', kid: 'foreign' } }).sign(privateKey);
    await expectRejected(token, /unknown key/);
  });

  it('rejects a tampered token (payload changed after signing)', async () => {
    const [header, , signature] = (await sign().sign(signing.key)).split('.');
    const forged = `${header}.${b64({ ...claims(), realm_access: { roles: ['admin'] }, sub: 'tess', iss: server.identity.issuer, aud: 'yardmaster', exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000) })}.${signature}`;
    await expectRejected(forged, /signature is invalid/);
  });

  it('rejects alg "none"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), sub: 'tess', iss: server.identity.issuer, aud: 'yardmaster', iat: now, exp: now + 300 })}.`;
    await expectRejected(token, /algorithm|malformed/);
  });

  it('rejects HS256 signed with the provider public key as the secret', async () => {
    const publicPem = createPublicKey({ key: signing.jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: signing.kid })}.${b64({ ...claims(), sub: 'tess', iss: server.identity.issuer, aud: 'yardmaster', iat: now, exp: now + 300 })}`;
    const token = `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    await expectRejected(token, /algorithm/);
  });

  it('rejects RS384 even with the right key (RS256/ES256 only)', async () => {
    const key = await importJWK({ ...signing.jwk, alg: 'RS384' }, 'RS384');
    const token = await sign({ header: { alg: 'RS384', kid: signing.kid } }).sign(key);
    await expectRejected(token, /algorithm|unknown key/);
  });

  it('rejects a token without an expiry', async () => {
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid })
      .setSubject('tess')
      .setIssuer(server.identity.issuer)
      .setAudience('yardmaster')
      .setIssuedAt()
      .sign(signing.key);
    await expectRejected(token, /"exp" claim/);
  });

  it('rejects a token naming a tenant that does not exist', async () => {
    await expectRejected(await sign({ payload: { org: 'no_such_tenant' } }).sign(signing.key), /does not exist/);
  });

  it('does not leak the private key in the public JWKS', async () => {
    const jwks = (await (await fetch(`${server.baseUrl}/oidc/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((k) => k.kid)).toContain(signing.kid);
    for (const key of jwks.keys) for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
  });
});
