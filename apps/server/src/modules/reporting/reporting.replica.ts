import type { Config } from '../../config.js';
import { DatabaseUnreachableError, openDatabase, type Database } from '../../platform/db/index.js';

/**
 * The database reports and analytics read from, on a pool of their own (REPORTING_POOL_SIZE
 * connections, each with statement_timeout = REPORTING_STATEMENT_TIMEOUT_MS): a flood of heavy
 * reports waits for, or is refused by, that pool and never takes the connections the board and
 * dispatch need; past a short queue they are refused at once. It reaches REPORTING_DATABASE_URL (a read replica) when set, else the primary.
 * Its sessions are read-only, so a write sent there by mistake fails instead of diverging.
 * Embedded PGlite is one session: there reports share the one connection (undefined is returned).
 */
export async function openReportingDatabase(config: Config): Promise<Database | undefined> {
  const target = config.reportingDatabaseUrl ?? (config.database.kind === 'postgres' ? config.database.url : undefined);
  if (!target) return undefined;
  const url = new URL(target);
  const options = url.searchParams.get('options');
  // No parallel workers: a report uses at most its own connection's core, so REPORTING_POOL_SIZE
  // bounds the CPU reports can take from the board and dispatch.
  url.searchParams.set(
    'options',
    `${options ? `${options} ` : ''}-c default_transaction_read_only=on -c max_parallel_workers_per_gather=0`,
  );
  try {
    return await openDatabase({
      kind: 'postgres',
      url: url.toString(),
      poolSize: config.reporting.poolSize,
      poolTimeoutMs: config.database.poolTimeoutMs,
      statementTimeoutMs: config.reporting.statementTimeoutMs,
      applicationName: 'yardmaster-reporting',
      // A flood beyond a few queued reports per connection is refused at once (503 busy).
      maxWaiting: config.reporting.poolSize * 4,
    });
  } catch (error) {
    const setting = config.reportingDatabaseUrl ? 'REPORTING_DATABASE_URL' : 'DATABASE_URL';
    throw new DatabaseUnreachableError(
      setting,
      new Error((error as Error).message.replace(/^\w+: cannot connect to the database \((.*)\)$/s, '$1')),
    );
  }
}
