import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ADMIN_URL } from './global-postgres.js';
import { dropTenantRolesOf } from './tenant-roles.js';

/** An empty PostgreSQL database of its own for a test that needs a blank slate; dropped by `drop`. */
export async function createScratchPostgres(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `ym_scratch_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    name,
    url: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
      await client.query(`drop database if exists ${name}`);
      await dropTenantRolesOf(client, name);
      await client.end();
    },
  };
}
