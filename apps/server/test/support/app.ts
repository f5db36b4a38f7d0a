import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/platform/db/index.js';
import { createTestIdentity, type TestIdentity } from './identity.js';

export type TestApp = { app: FastifyInstance; identity: TestIdentity };

/** The real application on a test database, with a test identity provider; use `app.inject`. */
export async function createTestApp(database: Database, env: Record<string, string> = {}): Promise<TestApp> {
  const identity = await createTestIdentity();
  const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', SEED_DEMO: 'false', ...env });
  const app = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent' });
  await app.ready();
  return { app, identity };
}
