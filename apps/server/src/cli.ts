import { CreateTenantSchema } from '@yardmaster/contracts';
import { z } from 'zod';
import { ConfigError, loadConfig, publicUrlOf } from './config.js';
import { migrations } from './migrations/index.js';
import { findTenantBySlug, migrateAll, openDatabase } from './platform/db/index.js';
import { createTenant } from './modules/tenants/index.js';
import { createOperatorAccount } from './modules/auth/index.js';
import { verifyAuditChain } from './modules/audit/index.js';
import { rebuildTenantRollup } from './modules/reporting/index.js';
import { wireDispatchToCapacity } from './modules/dispatch/index.js';
import { AppError } from './platform/errors.js';

const USAGE = `usage: yardmaster <command>
  migrate                                   migrate the control schema and every tenant schema
  tenant create <slug> <name> [time-zone]   provision a tenant (schema, role, migrations)
  operator create <email> [name]            create a platform operator account (embedded identity
                                            provider) and print a one-time set-password link (24 h)
  audit verify <tenant-slug>                re-walk the tenant's audit hash chain (exit 2 if broken)
  analytics rebuild <tenant-slug>           recompute the tenant's analytics roll-up from its status reports
`;

async function run(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'audit' && sub === 'verify' && rest.length === 1) return auditVerify(rest[0] ?? '');
  if (command === 'analytics' && sub === 'rebuild' && rest.length === 1) return analyticsRebuild(rest[0] ?? '');
  if (command === 'operator' && sub === 'create' && (rest.length === 1 || rest.length === 2))
    return operatorCreate(rest[0] ?? '', rest[1] ?? '');
  if (command !== 'migrate' && !(command === 'tenant' && sub === 'create')) {
    process.stderr.write(USAGE);
    return 64;
  }
  const config = loadConfig();
  const database = await openDatabase(config.database);
  wireDispatchToCapacity({ warn: (obj, msg) => process.stderr.write(`${msg}: ${String(obj.err)}\n`) });
  try {
    const report = await migrateAll(database.db, migrations);
    if (command === 'migrate') {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const parsed = CreateTenantSchema.safeParse({ slug: rest[0], name: rest[1], timeZone: rest[2] });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) process.stderr.write(`${issue.path.join('.')}: ${issue.message}\n`);
      process.stderr.write(USAGE);
      return 64;
    }
    const tenant = await createTenant(database, parsed.data);
    process.stdout.write(`${JSON.stringify(tenant, null, 2)}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

/** `audit verify <slug>`: read-only, no migration; prints the result as JSON. */
async function auditVerify(slug: string): Promise<number> {
  const database = await openDatabase(loadConfig().database);
  try {
    if (!/^[a-z][a-z0-9_]{1,39}$/.test(slug) || !(await findTenantBySlug(database.db, slug))) {
      process.stderr.write(`yardmaster: no tenant "${slug}"\n`);
      return 1;
    }
    const result = await verifyAuditChain(database.db, slug);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.ok ? 0 : 2;
  } finally {
    await database.close();
  }
}

/**
 * `operator create <email> [name]`: migrates (a fresh database works, with or without the demo),
 * creates the operator's account without a password, and prints a single-use link to set one.
 * Running it again for the same e-mail prints a new link and revokes the previous one.
 */
async function operatorCreate(email: string, name: string): Promise<number> {
  const parsed = z.email().max(320).safeParse(email);
  if (!parsed.success) {
    process.stderr.write(`yardmaster: "${email}" is not an e-mail address\n${USAGE}`);
    return 64;
  }
  const config = loadConfig();
  if (config.oidc.issuer) {
    process.stderr.write(
      'yardmaster: OIDC_ISSUER is set: platform operators are accounts of that provider (give them the "operator" role there)\n',
    );
    return 1;
  }
  const database = await openDatabase(config.database);
  try {
    await migrateAll(database.db, migrations);
    const link = await createOperatorAccount(database.db, { email: parsed.data, name, publicUrl: publicUrlOf(config, config.port) });
    process.stdout.write(
      `Platform operator ${parsed.data}: open this link within 24 hours to set a password (it works once):\n${link.url}\n(expires ${link.expiresAt})\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

/** `analytics rebuild <slug>`: one transaction; report writers of that tenant wait for it. */
async function analyticsRebuild(slug: string): Promise<number> {
  const database = await openDatabase(loadConfig().database);
  try {
    if (!/^[a-z][a-z0-9_]{1,39}$/.test(slug)) {
      process.stderr.write(`yardmaster: no tenant "${slug}"\n`);
      return 1;
    }
    const result = await rebuildTenantRollup(database, slug);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError || error instanceof AppError) process.stderr.write(`yardmaster: ${error.message}\n`);
  else process.stderr.write(`yardmaster: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
