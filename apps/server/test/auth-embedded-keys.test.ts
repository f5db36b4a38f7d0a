import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedIdentity, verifyAccessToken } from '../src/modules/auth/index.js';
import type { Database } from '../src/platform/db/index.js';
import { openTestDatabase, testDbKind } from './support/db.js';

describe(`embedded provider keys on ${testDbKind()}`, () => {
  let database: Database;
  let dataDir: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'ym-keys-'));
  });
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await database.close();
  });

  const create = () =>
    createEmbeddedIdentity({
      db: database.db,
      publicUrl: 'http://127.0.0.1:1',
      dataDir,
      audience: 'yardmaster',
      tenantClaim: 'org',
      trustProxy: false,
    });

  it('generates the RS256 key once, keeps it readable by the owner only, and reuses it after a restart', async () => {
    const first = await create();
    const file = path.join(dataDir, 'identity-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { signing: JWK };
    expect(stored.signing.alg).toBe('RS256');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: stored.signing.kid ?? '' })
      .setSubject('restart')
      .setIssuer(first.issuer)
      .setAudience('yardmaster')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(stored.signing, 'RS256'));
    // A second start (a restart) trusts tokens the first one signed: same key, local key set.
    const second = await create();
    await expect(verifyAccessToken(token, second.trusted)).resolves.toMatchObject({ sub: 'restart' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(stored);
  });
});
