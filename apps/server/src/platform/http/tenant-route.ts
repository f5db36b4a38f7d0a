import type { FastifyRequest } from 'fastify';
import type { Caller } from '../caller.js';
import { withTenant, type Database, type TenantTx } from '../db/index.js';
import { callerOf } from './access.js';

/**
 * The edge of every tenant route: the caller from the verified token, and one transaction pinned
 * to the caller's tenant in which the use case runs.
 */
export function tenantRunner(database: Database) {
  return <T>(request: FastifyRequest, fn: (tx: TenantTx, caller: Caller) => Promise<T>): Promise<T> => {
    const caller = callerOf(request);
    return withTenant(database.db, caller.tenantSlug, (tx) => fn(tx, caller));
  };
}
