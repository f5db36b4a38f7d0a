import type { Config } from '../../config.js';
import { DatabaseUnreachableError, openDatabase, type Database } from '../../platform/db/index.js';

/**
 * The database reports and analytics read from: a second pool on REPORTING_DATABASE_URL (a read
 * replica) when set, else undefined (the primary is used). Its sessions are read-only, so a write
 * sent there by mistake fails instead of diverging from the primary.
 */
export async function openReportingDatabase(config: Config): Promise<Database | undefined> {
  if (!config.reportingDatabaseUrl) return undefined;
  const url = new URL(config.reportingDatabaseUrl);
  const options = url.searchParams.get('options');
  url.searchParams.set('options', `${options ? `${options} ` : ''}-c default_transaction_read_only=on`);
  const poolSize = config.database.kind === 'postgres' ? config.database.poolSize : 5;
  try {
    return await openDatabase({ kind: 'postgres', url: url.toString(), poolSize });
  } catch (error) {
    throw new DatabaseUnreachableError('REPORTING_DATABASE_URL', new Error((error as Error).message.replace(/^\w+: cannot connect to the database \((.*)\)$/s, '$1')));
  }
}
