import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrations } from '../../src/migrations/index.js';
import { migrateAll, openDatabase } from '../../src/platform/db/index.js';
import { dropTenantRolesOf } from './tenant-roles.js';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- augmenting Vitest's interface
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** Where the local PostgreSQL is (trust auth as postgres); override with TEST_POSTGRES_URL. */
export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh database for this run, migrated once, dropped at the end (with the tenant roles that
 * only it used).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = `ym_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL} (${(error as Error).message}). Start it, or run without CI=true to skip the PostgreSQL run.`,
    );
  }
  await admin.query(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
  await migrateAll(database.db, migrations);
  await database.close();
  project.provide('postgresUrl', url);
  return async () => {
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
    await admin.query(`drop database if exists ${name}`);
    await dropTenantRolesOf(admin, name);
    await admin.end();
  };
}
