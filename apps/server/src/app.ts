import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import { migrations } from './migrations/index.js';
import { createReadRouter, isFullyMigrated, type Database } from './platform/db/index.js';
import { registerReadYourWrites } from './platform/http/read-your-writes.js';
import { registerAccessControl } from './platform/http/access.js';
import { registerHealth } from './platform/http/health.js';
import { registerMetrics } from './platform/http/metrics.js';
import { registerOpenApi } from './platform/http/openapi.js';
import { frameworkErrorHandler, registerProblemHandlers } from './platform/http/problem.js';
import { requestIdOf } from './platform/http/request-id.js';
import { registerSecurityHeaders } from './platform/http/security-headers.js';
import { registerWebApp } from './platform/http/web-app.js';
import { loggerOptions } from './platform/log.js';
import { createMailer, type Mailer } from './platform/mail.js';
import { createOutbound, type Outbound } from './platform/net/outbound.js';
import {
  authRoutes,
  createAuthenticator,
  createMemberAccounts,
  accountsRoutes,
  createMemberInvitations,
  linkAnnouncer,
  tenantResolverFor,
  WEB_SCOPES,
  mfaRoutes,
  registerMfaGuard,
  type EmbeddedIdentity,
  type TrustedIssuer,
} from './modules/auth/index.js';
import { tenantsRoutes } from './modules/tenants/index.js';
import { peopleRoutes } from './modules/people/index.js';
import { fleetRoutes } from './modules/fleet/index.js';
import { sitesRoutes } from './modules/sites/index.js';
import { isEntityVisible, regionsRoutes } from './modules/regions/index.js';
import { dispatchRoutes, wireDispatchToCapacity } from './modules/dispatch/index.js';
import { importsRoutes } from './modules/imports/index.js';
import { alertsRoutes } from './modules/alerts/index.js';
import { localeRoutes } from './modules/locale/index.js';
import { memberAccountsRoutes, usersRoutes } from './modules/users/index.js';
import { integrationsRoutes } from './modules/integrations/index.js';
import { planningRoutes } from './modules/planning/index.js';
import { auditRoutes } from './modules/audit/index.js';
import { privacyRoutes } from './modules/privacy/index.js';
import { searchRoutes } from './modules/search/index.js';
import { timelineRoutes } from './modules/dispatch/index.js';
import { reportingRoutes } from './modules/reporting/index.js';
import { notificationsRoutes } from './modules/notifications/index.js';
import { driverAppRoutes } from './modules/dispatch/index.js';
import { fileStoreFromConfig, type FileStore } from './modules/files/index.js';
import { loadVapidKeys, pushRoutes, type VapidKeys } from './modules/push/index.js';
import { registerLimits } from './modules/limits/index.js';

export type AppOptions = {
  config: Config;
  database: Database;
  /** Read-only database for reports and analytics (REPORTING_DATABASE_URL); the primary when absent. */
  reportingDatabase?: Database;
  /** The issuer whose tokens the API accepts (an external one, or the embedded provider's). */
  trustedIssuer: TrustedIssuer;
  /** The embedded OpenID provider, mounted at /oidc when no external issuer is configured. */
  embeddedIdentity?: EmbeddedIdentity;
  /** Called for every route as it is registered (the route × role matrix test reads the table with it). */
  onRoute?: (route: RouteOptions) => void;
  /** How often the dispatch safety net (scheduled → queue, re-match) runs; default 5 s. */
  sweepIntervalMs?: number;
  /** How long a board version read from the database is trusted between change signals (default 1 s). */
  boardTrustMs?: number;
  /** Folder of the built web app; defaults to apps/web/dist. */
  webDir?: string;
  /** The guard for outbound calls (webhooks, identity providers); built from OUTBOUND_ALLOW when absent. */
  outbound?: Outbound;
  /** Where file bytes go; from config (STORAGE) when absent. */
  fileStore?: FileStore;
  /** Web Push keys; from config or DATA_DIR/vapid.json when absent. */
  vapidKeys?: VapidKeys;
  /** How often new live events are turned into Web Push messages; default 2 s. */
  pushIntervalMs?: number;
  /** Outgoing e-mail; from config (SMTP_URL, MAIL_FROM) when absent. */
  mailer?: Mailer;
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
    frameworkErrors: frameworkErrorHandler,
  });
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const outbound = options.outbound ?? createOutbound({ allow: config.outboundAllow });
  if (!options.outbound) app.addHook('onClose', () => outbound.close());

  registerProblemHandlers(app);
  await registerSecurityHeaders(app, { connectOrigins: [new URL(options.trustedIssuer.issuer).origin], mapOrigins: config.map.origins });
  registerAccessControl(
    app,
    createAuthenticator(options.trustedIssuer, tenantResolverFor(database.db), {
      db: database.db,
      outbound,
      // Tokens of the embedded provider name their sign-in session: honoured only while it lives.
      checkSessions: options.embeddedIdentity?.issuer === options.trustedIssuer.issuer,
    }),
  );
  // Two-step sign-in: people of the embedded provider without it are refused where their tenant requires it.
  const mfaGuard = options.embeddedIdentity ? registerMfaGuard(app, database.db, options.embeddedIdentity.issuer) : undefined;
  // Rate limits and stream caps: after access control (they need the caller), before any route.
  const limits = registerLimits(app, database, config);
  const metrics = registerMetrics(app);
  await registerOpenApi(app);
  registerHealth(app, { db: database.db as never, isMigrated: () => isFullyMigrated(database.db, migrations) });

  // Account links (invitations, resets): e-mailed when SMTP_URL is set, else written to the log.
  const mailer = options.mailer ?? (config.mail ? createMailer(config.mail) : undefined);
  if (mailer && !options.mailer) app.addHook('onClose', () => mailer.close());
  const announce = linkAnnouncer(app.log, mailer);
  const invitations = options.embeddedIdentity
    ? createMemberInvitations({ publicUrl: options.embeddedIdentity.publicUrl, announce })
    : undefined;
  if (options.embeddedIdentity) await options.embeddedIdentity.mount(app, { announce });
  const memberAccounts = options.embeddedIdentity ? createMemberAccounts() : undefined;

  // Modules — one visible list.
  await app.register(
    authRoutes(
      database,
      {
        issuer: options.trustedIssuer.issuer,
        clientId: options.trustedIssuer.clientId,
        audience: options.trustedIssuer.audience,
        scopes: options.trustedIssuer.scopes ?? WEB_SCOPES,
      },
      outbound,
    ),
  );
  await app.register(tenantsRoutes(database, { invitations }));
  if (options.embeddedIdentity && mfaGuard)
    await app.register(
      mfaRoutes(database, {
        key: options.embeddedIdentity.mfaKey,
        issuer: options.embeddedIdentity.issuer,
        onSettingsChanged: mfaGuard.forget,
      }),
    );
  await app.register(peopleRoutes(database));
  await app.register(fleetRoutes(database));
  await app.register(sitesRoutes(database));
  await app.register(regionsRoutes(database));
  await app.register(importsRoutes(database));
  await app.register(alertsRoutes(database));
  await app.register(localeRoutes(database));
  await app.register(dispatchRoutes(database, { sweepIntervalMs: options.sweepIntervalMs, boardTrustMs: options.boardTrustMs }));
  // Capacity changes (fleet, people) are matched against the queue after they commit.
  wireDispatchToCapacity(app.log);
  await app.register(planningRoutes(database));
  await app.register(usersRoutes(database, { invitations, accounts: memberAccounts }));
  await app.register(integrationsRoutes(database, { tokenEndpoint: options.embeddedIdentity?.tokenEndpoint }));
  if (options.embeddedIdentity && memberAccounts) {
    // Accounts and sessions of the embedded provider: my account, operator administration, admin force sign-out.
    await app.register(accountsRoutes(database.db, options.embeddedIdentity.issuer));
    await app.register(memberAccountsRoutes(database, memberAccounts));
  }
  await app.register(auditRoutes(database, isEntityVisible));
  await app.register(privacyRoutes(database));
  await app.register(searchRoutes(database));
  await app.register(timelineRoutes(database, config.map));
  const reads = createReadRouter(database, options.reportingDatabase, {
    maxLagMs: config.replicaMaxLagMs,
    isReplica: config.reportingDatabaseUrl !== undefined,
    log: app.log,
  });
  app.addHook('onClose', async () => reads.close());
  registerReadYourWrites(app, reads, metrics.registry);
  const fileStore = options.fileStore ?? (await fileStoreFromConfig(config));
  await app.register(reportingRoutes(database, reads, fileStore));
  await app.register(notificationsRoutes(database, {}, outbound));
  await app.register(driverAppRoutes(database, fileStore));
  await app.register(
    pushRoutes(database, {
      keys: options.vapidKeys ?? (await loadVapidKeys(config.push, config.env === 'test' ? null : config.dataDir)),
      allowPrivateEndpoints: config.push.allowPrivateEndpoints,
      outbound,
      intervalMs: options.pushIntervalMs,
    }),
  );
  await app.register(limits.routes);

  await registerWebApp(app, options.webDir ?? DEFAULT_WEB_DIR);
  return app;
}
