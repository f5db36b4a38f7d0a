import { buildApp } from './app.js';
import { ConfigError, loadConfig, publicUrlOf, type Config } from './config.js';
import { migrations } from './migrations/index.js';
import { DatabaseUnreachableError, migrateAll, openDatabase, type Database } from './platform/db/index.js';
import { createEmbeddedIdentity, demoLoginLines, discoverIssuer, type EmbeddedIdentity, type TrustedIssuer } from './modules/auth/index.js';
import { seedDemoTenant } from './seed.js';
import { openReportingDatabase } from './modules/reporting/index.js';

function fail(message: string): never {
  process.stderr.write(`yardmaster: ${message}\n`);
  process.exit(2);
}

async function resolveIdentity(
  config: Config,
  database: Database,
): Promise<{ trustedIssuer: TrustedIssuer; embeddedIdentity?: EmbeddedIdentity }> {
  if (config.oidc.issuer) return { trustedIssuer: await discoverIssuer(config) };
  const embeddedIdentity = await createEmbeddedIdentity({
    db: database.db,
    publicUrl: publicUrlOf(config, config.port),
    dataDir: config.dataDir,
    audience: config.oidc.audience,
    tenantClaim: config.oidc.tenantClaim,
    trustProxy: config.trustProxy,
    devOrigins: config.devWebOrigin ? [config.devWebOrigin] : [],
  });
  return { trustedIssuer: embeddedIdentity.trusted, embeddedIdentity };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }

  let database: Database;
  try {
    database = await openDatabase(config.database);
  } catch (error) {
    if (error instanceof DatabaseUnreachableError) fail(error.message);
    fail(`database: ${(error as Error).message}`);
  }

  const migrated = await migrateAll(database.db, migrations);
  let reportingDatabase: Database | undefined;
  try {
    reportingDatabase = await openReportingDatabase(config);
  } catch (error) {
    await database.close();
    fail((error as Error).message);
  }
  const seeded = config.seedDemo ? await seedDemoTenant(database) : null;

  let identity: Awaited<ReturnType<typeof resolveIdentity>>;
  try {
    identity = await resolveIdentity(config, database);
  } catch (error) {
    await database.close();
    fail((error as Error).message);
  }

  const app = await buildApp({ config, database, reportingDatabase, ...identity });
  app.log.info({ migrated }, 'migrations applied');
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await database.close();
    fail(`PORT: cannot listen on ${config.host}:${config.port} (${(error as Error).message})`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = publicUrlOf(config, port);
  const lines = [
    '',
    `  Yardmaster is running at ${url}`,
    `  API docs: ${url}/docs    readiness: ${url}/readyz`,
    `  database: ${database.kind === 'embedded' ? `embedded PGlite in ${config.database.kind === 'embedded' ? config.database.dataDir : ''}` : 'PostgreSQL'}`,
    ...(seeded ? ['', `  Demo tenant "${seeded.slug}" ${seeded.created ? 'created' : 'present'}.`] : []),
    ...(seeded && identity.embeddedIdentity ? ['  Demo logins (embedded identity provider):', ...demoLoginLines()] : []),
    identity.embeddedIdentity
      ? `  Identity: embedded OpenID provider at ${identity.embeddedIdentity.issuer}`
      : `  Identity: ${identity.trustedIssuer.issuer}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    void app
      .close()
      .then(() => reportingDatabase?.close())
      .then(() => database.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        app.log.error({ err: error }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
