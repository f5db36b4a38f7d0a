import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { importJWK, type JWK } from 'jose';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createEmbeddedIdentity, type EmbeddedIdentity } from '../../src/modules/auth/index.js';
import type { Database } from '../../src/platform/db/index.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type EmbeddedTestApp = {
  app: FastifyInstance;
  baseUrl: string;
  identity: EmbeddedIdentity;
  /** The provider's own private signing key, for crafting tokens it could have signed. */
  signingKey: () => Promise<{ key: Awaited<ReturnType<typeof importJWK>>; kid: string; jwk: JWK }>;
  close: () => Promise<void>;
};

/** The real app with the embedded OpenID provider, listening on 127.0.0.1 (the provider needs real HTTP). */
export async function startEmbeddedTestApp(database: Database, env: Record<string, string> = {}): Promise<EmbeddedTestApp> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ym-idp-'));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    SEED_DEMO: 'false',
    PORT: String(port),
    PUBLIC_URL: baseUrl,
    DATA_DIR: dataDir,
    ...env,
  });
  const identity = await createEmbeddedIdentity({
    db: database.db,
    publicUrl: baseUrl,
    dataDir,
    audience: config.oidc.audience,
    tenantClaim: config.oidc.tenantClaim,
    trustProxy: config.trustProxy,
    devOrigins: config.devWebOrigin ? [config.devWebOrigin] : [],
  });
  const app = await buildApp({ config, database, trustedIssuer: identity.trusted, embeddedIdentity: identity, webDir: '/nonexistent' });
  await app.listen({ host: '127.0.0.1', port });
  return {
    app,
    baseUrl,
    identity,
    async signingKey() {
      const stored = JSON.parse(readFileSync(path.join(dataDir, 'identity-keys.json'), 'utf8')) as { signing: JWK };
      return { key: await importJWK(stored.signing, 'RS256'), kid: stored.signing.kid ?? '', jwk: stored.signing };
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
