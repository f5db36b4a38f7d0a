import type { FastifyInstance } from 'fastify';
import { accessOf, type Access } from '../../src/platform/http/access.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/platform/db/index.js';
import type { Outbound } from '../../src/platform/net/outbound.js';
import { createTestIdentity, type TestIdentity } from './identity.js';

export type RegisteredRoute = { method: string; url: string; access: Access | undefined };

export type TestApp = { app: FastifyInstance; identity: TestIdentity; routes: RegisteredRoute[] };

/**
 * Loopback, where tests run their fake webhook receivers and identity providers: allowed for outbound
 * calls in the test app. Tests of the default (refusing) policy pass `OUTBOUND_ALLOW: ''`.
 */
export const TEST_OUTBOUND_ALLOW = '127.0.0.0/8,::1';

/** The real application on a test database, with a test identity provider; use `app.inject`. */
export async function createTestApp(
  database: Database,
  env: Record<string, string> = {},
  options: { identity?: TestIdentity; outbound?: Outbound; boardTrustMs?: number } = {},
): Promise<TestApp> {
  // Several instances of one deployment share the identity provider: pass the same identity.
  const identity = options.identity ?? (await createTestIdentity());
  // Rate limits are off unless a suite turns them on (RATE_LIMITS=on): suites that fire bursts
  // test other things; limits are proven in limits*.test.ts.
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    SEED_DEMO: 'false',
    OUTBOUND_ALLOW: TEST_OUTBOUND_ALLOW,
    RATE_LIMITS: 'off',
    ...env,
  });
  const routes: RegisteredRoute[] = [];
  const app = await buildApp({
    config,
    database,
    trustedIssuer: identity.trusted,
    webDir: '/nonexistent',
    ...(options.outbound ? { outbound: options.outbound } : {}),
    ...(options.boardTrustMs !== undefined ? { boardTrustMs: options.boardTrustMs } : {}),
    onRoute: (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, access: accessOf(route.config) });
    },
  });
  await app.ready();
  return { app, identity, routes };
}
