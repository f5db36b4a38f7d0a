import type { FastifyInstance } from 'fastify';
import { accessOf, type Access } from '../../src/platform/http/access.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/platform/db/index.js';
import { createTestIdentity, type TestIdentity } from './identity.js';

export type RegisteredRoute = { method: string; url: string; access: Access | undefined };

export type TestApp = { app: FastifyInstance; identity: TestIdentity; routes: RegisteredRoute[] };

/** The real application on a test database, with a test identity provider; use `app.inject`. */
export async function createTestApp(database: Database, env: Record<string, string> = {}, options: { identity?: TestIdentity } = {}): Promise<TestApp> {
  // Several instances of one deployment share the identity provider: pass the same identity.
  const identity = options.identity ?? (await createTestIdentity());
  const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', SEED_DEMO: 'false', ...env });
  const routes: RegisteredRoute[] = [];
  const app = await buildApp({
    config,
    database,
    trustedIssuer: identity.trusted,
    webDir: '/nonexistent',
    onRoute: (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, access: accessOf(route.config) });
    },
  });
  await app.ready();
  return { app, identity, routes };
}
