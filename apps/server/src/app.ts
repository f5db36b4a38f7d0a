import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import { migrations } from './migrations/index.js';
import { isFullyMigrated, type Database } from './platform/db/index.js';
import { registerAccessControl } from './platform/http/access.js';
import { registerHealth } from './platform/http/health.js';
import { registerMetrics } from './platform/http/metrics.js';
import { registerOpenApi } from './platform/http/openapi.js';
import { registerProblemHandlers } from './platform/http/problem.js';
import { requestIdOf } from './platform/http/request-id.js';
import { registerWebApp } from './platform/http/web-app.js';
import { loggerOptions } from './platform/log.js';
import { authRoutes, createAuthenticator, tenantResolverFor, WEB_SCOPES, type EmbeddedIdentity, type TrustedIssuer } from './modules/auth/index.js';
import { tenantsRoutes } from './modules/tenants/index.js';

export type AppOptions = {
  config: Config;
  database: Database;
  /** The issuer whose tokens the API accepts (an external one, or the embedded provider's). */
  trustedIssuer: TrustedIssuer;
  /** The embedded OpenID provider, mounted at /oidc when no external issuer is configured. */
  embeddedIdentity?: EmbeddedIdentity;
  /** Folder of the built web app; defaults to apps/web/dist. */
  webDir?: string;
};

const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Builds the HTTP application: platform plugins first, then every module's routes, in one list. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, database } = options;
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : loggerOptions(config.logLevel),
    genReqId: requestIdOf,
    trustProxy: config.trustProxy,
    bodyLimit: 15 * 1024 * 1024,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  registerProblemHandlers(app);
  registerAccessControl(app, createAuthenticator(options.trustedIssuer, tenantResolverFor(database.db)));
  registerMetrics(app);
  await registerOpenApi(app);
  registerHealth(app, { db: database.db as never, isMigrated: () => isFullyMigrated(database.db, migrations) });

  if (options.embeddedIdentity) await options.embeddedIdentity.mount(app);

  // Modules — one visible list.
  await app.register(
    authRoutes(database, {
      issuer: options.trustedIssuer.issuer,
      clientId: options.trustedIssuer.clientId,
      audience: options.trustedIssuer.audience,
      scopes: WEB_SCOPES,
    }),
  );
  await app.register(tenantsRoutes(database));

  await registerWebApp(app, options.webDir ?? DEFAULT_WEB_DIR);
  return app;
}
