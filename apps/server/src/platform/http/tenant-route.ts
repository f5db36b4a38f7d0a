import type { FastifyRequest } from 'fastify';
import type { Caller } from '../caller.js';
import { withTenant, type Database, type TenantTx, type TxOptions } from '../db/index.js';
import { callerOf } from './access.js';

/**
 * Where a tenant route's transaction runs: `database` routes it elsewhere than the runner's own
 * database (a reporting replica for reads), `isolation` as for `withTenant`.
 */
export type TenantRunOptions = TxOptions & { database?: Database };

export type TenantRunner = <T>(
  request: FastifyRequest,
  fn: (tx: TenantTx, caller: Caller) => Promise<T>,
  options?: TenantRunOptions,
) => Promise<T>;

/**
 * The edge of every tenant route: the caller from the verified token, and one transaction pinned
 * to the caller's tenant in which the use case runs. Route modules never call `withTenant` with a
 * caller's tenant themselves (`tenant-route.test.ts` checks it), so the tenant a route touches is
 * always the one its token names.
 */
export function tenantRunner(database: Database): TenantRunner {
  return <T>(request: FastifyRequest, fn: (tx: TenantTx, caller: Caller) => Promise<T>, options: TenantRunOptions = {}): Promise<T> => {
    const caller = callerOf(request);
    const { database: target = database, ...txOptions } = options;
    return withTenant(target.db, caller.tenantSlug, (tx) => fn(tx, caller), txOptions);
  };
}
