import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.js';
import { createPrimaryPool, isMultiHostUrl } from './primary.js';
import type { ControlTables } from './tables.js';

export type DatabaseSettings =
  | { kind: 'postgres'; url: string; poolSize: number; listenUrl?: string }
  | { kind: 'embedded'; dataDir: string };

export type Database = {
  kind: 'postgres' | 'embedded';
  db: Kysely<ControlTables>;
  /** A connection string reaching the same database (for LISTEN clients and tools). */
  url: string;
  close: () => Promise<void>;
};

/** bigint (int8) as a JS number: our sequences stay far below 2^53; counts come back as numbers. */
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

export class DatabaseUnreachableError extends Error {
  constructor(readonly setting: string, cause: unknown) {
    super(`${setting}: cannot connect to the database (${(cause as Error).message || String(cause)})`);
    this.name = 'DatabaseUnreachableError';
  }
}

export function createPool(url: string, max: number): pg.Pool {
  // Several hosts (a failover pair): connect to whichever is the read-write primary now.
  if (isMultiHostUrl(url)) return createPrimaryPool(url, { max, types, connectionTimeoutMillis: 10_000, application_name: 'yardmaster' });
  const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 10_000, application_name: 'yardmaster' });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Opens PostgreSQL (DATABASE_URL) or the embedded PGlite. Embedded uses a pool of one: PGlite is a
 * single session, and interleaving transactions of several clients in it is not safe.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url: string;
  let max: number;
  if (settings.kind === 'embedded') {
    embedded = await startEmbeddedDatabase(settings.dataDir);
    url = embedded.url;
    max = 1;
  } else {
    url = settings.url;
    max = settings.poolSize;
  }
  const pool = createPool(url, max);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    await embedded?.stop();
    throw new DatabaseUnreachableError(settings.kind === 'postgres' ? 'DATABASE_URL' : 'DATA_DIR', error);
  }
  const db = new Kysely<ControlTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: settings.kind,
    db,
    // LISTEN needs a session of its own: DATABASE_LISTEN_URL bypasses a transaction-pooling pgBouncer.
    url: settings.kind === 'postgres' ? (settings.listenUrl ?? url) : url,
    async close() {
      await db.destroy();
      await embedded?.stop();
    },
  };
}
