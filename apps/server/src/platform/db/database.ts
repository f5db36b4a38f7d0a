import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  PostgresDriver,
  type DatabaseConnection,
  type Driver,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.js';
import { CommitOutcomeUnknownError, isConnectionError, PoolSaturatedError, wasNeverSent } from './errors.js';
import { epilogueDrivers, takeEpilogue, takePreamble } from './preamble.js';
import { prepareRepeatedStatements, StatementNames } from './prepared.js';
import { createPrimaryPool, isMultiHostUrl } from './primary.js';
import type { ControlTables } from './tables.js';

/**
 * `poolTimeoutMs`: how long a caller waits for a pooled connection (or a new one) before the
 * request is answered 503 (DATABASE_POOL_TIMEOUT_MS). `statementTimeoutMs`: the sessions'
 * statement_timeout (the reporting pool's bound). `applicationName` shows in pg_stat_activity.
 * `maxWaiting`: callers allowed to queue for a connection; beyond it they are refused at once
 * ("busy", 503) instead of each holding a request open for the whole pool timeout.
 * `preparedStatements`: see `prepared.ts`.
 */
export type PoolOptions = {
  poolTimeoutMs?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
  maxWaiting?: number;
  /** Repeated statements become server-side prepared statements (`prepared.ts`); default: on for PostgreSQL. */
  preparedStatements?: boolean;
};

export type DatabaseSettings =
  | ({ kind: 'postgres'; url: string; poolSize: number; listenUrl?: string } & PoolOptions)
  | ({ kind: 'embedded'; dataDir: string } & PoolOptions);

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
  constructor(
    readonly setting: string,
    cause: unknown,
  ) {
    super(`${setting}: cannot connect to the database (${(cause as Error).message || String(cause)})`);
    this.name = 'DatabaseUnreachableError';
  }
}

/** For callers that do not say (tools, tests); the server's own comes from DATABASE_POOL_TIMEOUT_MS. */
export const DEFAULT_POOL_TIMEOUT_MS = 10_000;

export function createPool(url: string, max: number, options: PoolOptions = {}): pg.Pool {
  const settings = {
    max,
    types,
    connectionTimeoutMillis: options.poolTimeoutMs ?? DEFAULT_POOL_TIMEOUT_MS,
    application_name: options.applicationName ?? 'yardmaster',
    keepAlive: true,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  };
  // Several hosts (a failover pair): connect to whichever is the read-write primary now.
  const pool = isMultiHostUrl(url) ? createPrimaryPool(url, settings) : new pg.Pool({ connectionString: url, ...settings });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // pg-pool listens for errors only while a client is idle: a checked-out client whose connection
  // drops (server restart, pg_terminate_backend) would emit 'error' with no listener and kill the
  // process. Every client gets a listener of its own for its whole life; the failed query rejects,
  // the transaction is retried or answered 503, and the broken client leaves the pool on release.
  const names = options.preparedStatements ? new StatementNames() : undefined;
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    answerWithFirstResult(client);
    if (names) prepareRepeatedStatements(client, names);
  });
  return pool;
}

/**
 * A simple query of several statements (BEGIN with its preamble; a final write with COMMIT) answers
 * with one result per statement; Kysely reads one. The first is the one that carries rows (the
 * final write's), so that is the one handed on.
 */
function answerWithFirstResult(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (typeof args[0] !== 'string' || (args[1] !== undefined && (args[1] as unknown[]).length > 0) || !(result instanceof Promise))
      return result;
    return result.then((answer: unknown) => (Array.isArray(answer) ? (answer[0] as unknown) : answer));
  };
}

/**
 * Kysely's driver with COMMIT made explicit about what is known. A connection lost before COMMIT
 * was sent leaves nothing committed (retryable); lost while COMMIT was in flight, the outcome is
 * unknown (`CommitOutcomeUnknownError`). A failed ROLLBACK is not reported over the error that
 * caused it: its connection is discarded, and PostgreSQL rolls back a transaction whose session ends.
 */
class ResilientPostgresDriver extends PostgresDriver {
  /** BEGIN and the transaction's preamble (`preamble.ts`: a tenant's search path and role) in one round trip. */
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const preamble = takePreamble();
    if (!preamble) return super.beginTransaction(connection, settings);
    const begin = `start transaction${settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : ''}${settings.accessMode ? ` ${settings.accessMode}` : ''}`;
    // No parameters: node-postgres sends it as one simple query, both statements in one message.
    await connection.executeQuery(CompiledQuery.raw(`${begin}; ${preamble}`));
  }

  /**
   * COMMIT, preceded by the transaction's final write and followed by its wake-ups when it has an
   * epilogue (`preamble.ts`): one simple query, one round trip. A failing final write stops the
   * message before COMMIT (the transaction is then rolled back as usual). The wake-up after COMMIT
   * fails only if the server's notification queue is full (gigabytes of notifications nobody
   * read): the caller then gets an error for a change that was saved, as when the connection drops
   * during COMMIT (`CommitOutcomeUnknownError`); creates carry an Idempotency-Key for such retries.
   */
  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const epilogue = takeEpilogue();
    try {
      if (epilogue) {
        const text = `${epilogue.sql ?? ''}; commit${epilogue.afterCommit ? `; ${epilogue.afterCommit}` : ''}`;
        epilogue.sql = null;
        // Several statements answer with several results; `answerWithFirstResult` hands Kysely the first.
        const { rows } = await connection.executeQuery(CompiledQuery.raw(text));
        epilogue.row = rows[0] as Record<string, unknown> | undefined;
      } else await super.commitTransaction(connection);
    } catch (error) {
      if (!wasNeverSent(error) && isConnectionError(error)) throw new CommitOutcomeUnknownError(error);
      throw error;
    }
  }

  override async rollbackTransaction(connection: Parameters<PostgresDriver['rollbackTransaction']>[0]): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } catch {
      // discarded by the base driver; the caller rethrows the original error
    }
  }
}

type ConnectionSource = { connect: () => Promise<pg.PoolClient>; end: () => Promise<void> };

class ResilientPostgresDialect extends PostgresDialect {
  constructor(private readonly pool: ConnectionSource) {
    super({ pool });
  }

  override createDriver(): Driver {
    return new ResilientPostgresDriver({ pool: this.pool });
  }
}

/** Kysely over a pool, with the COMMIT semantics above (and the queue bound, when given). */
export function kyselyOver<DB>(pool: pg.Pool, options: Pick<PoolOptions, 'maxWaiting'> = {}): Kysely<DB> {
  const { maxWaiting } = options;
  const source: ConnectionSource =
    maxWaiting === undefined
      ? pool
      : {
          connect: () => (pool.waitingCount >= maxWaiting ? Promise.reject(new PoolSaturatedError(maxWaiting)) : pool.connect()),
          end: () => pool.end(),
        };
  const db = new Kysely<DB>({ dialect: new ResilientPostgresDialect(source) });
  epilogueDrivers.add(db);
  return db;
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
  // Prepared statements on PostgreSQL unless turned off; the embedded engine is in-process (its
  // planning cost is the same, but it is a single session behind a socket shim: keep it simple).
  const pool = createPool(url, max, {
    ...settings,
    preparedStatements: settings.kind === 'postgres' && settings.preparedStatements !== false,
  });
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined); // a pool that never connected: the error thrown below is the one that matters
    await embedded?.stop();
    throw new DatabaseUnreachableError(settings.kind === 'postgres' ? 'DATABASE_URL' : 'DATA_DIR', error);
  }
  const db = kyselyOver<ControlTables>(pool, settings);
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
