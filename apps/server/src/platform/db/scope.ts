import { sql, type Kysely, type Transaction } from 'kysely';
import { CommitOutcomeUnknownError, isConnectionError, isConnectTimeout, isPoolTimeout } from './errors.js';
import type { ControlTables, ControlTx, TenantTables, TenantTx } from './tables.js';

const SLUG = /^[a-z][a-z0-9_]{1,39}$/;

export function assertTenantSlug(slug: string): void {
  if (!SLUG.test(slug)) throw new Error(`invalid tenant slug "${slug}"`);
}

/** The schema that holds a tenant's rows. */
export const tenantSchema = (slug: string): string => {
  assertTenantSlug(slug);
  return `t_${slug}`;
};

/**
 * The database role a tenant's transactions run as. It has privileges on its own schema only, so
 * even SQL that names another tenant's schema explicitly is refused by PostgreSQL itself.
 */
export const tenantRole = (slug: string): string => `ym_${tenantSchema(slug)}`;

const afterCommitHooks = new WeakMap<object, Array<() => void | Promise<void>>>();

/** Runs `fn` once the surrounding transaction has committed (never if it rolls back). */
export function onCommit(tx: Transaction<never> | TenantTx | ControlTx, fn: () => void | Promise<void>): void {
  const hooks = afterCommitHooks.get(tx);
  if (!hooks) throw new Error('onCommit called outside withTenant/withControl');
  hooks.push(fn);
}

/**
 * Work that must run at the END of the surrounding transaction, inside it: buffers (audit events,
 * live events) flushed in one statement each, so locks that order a tenant's writes are taken
 * once, late. Keyed: registering the same key again in one transaction is a no-op. Lower `order`
 * runs first; a hook may register further hooks.
 */
const beforeCommitHooks = new WeakMap<object, Map<string, { order: number; fn: () => Promise<void> }>>();
/** The database a transaction belongs to (after-commit work opens its own transaction there). */
const txRoots = new WeakMap<object, Kysely<ControlTables>>();

/** Registers `fn` to run inside the transaction just before COMMIT; false when outside withTenant/withControl. */
export function beforeCommit(tx: Transaction<never> | TenantTx | ControlTx, key: string, order: number, fn: () => Promise<void>): boolean {
  const hooks = beforeCommitHooks.get(tx);
  if (!hooks) return false;
  if (!hooks.has(key)) hooks.set(key, { order, fn });
  return true;
}

async function runBeforeCommit(tx: object): Promise<void> {
  const hooks = beforeCommitHooks.get(tx);
  while (hooks && hooks.size > 0) {
    const [key, next] = [...hooks.entries()].sort((x, y) => x[1].order - y[1].order)[0] as [string, { order: number; fn: () => Promise<void> }];
    hooks.delete(key);
    await next.fn();
  }
}

/** The database (root Kysely) of a transaction opened by withTenant/withControl. */
export function databaseOf(tx: Transaction<never> | TenantTx | ControlTx): Kysely<ControlTables> {
  const db = txRoots.get(tx);
  if (!db) throw new Error('databaseOf called outside withTenant/withControl');
  return db;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock detected
const MAX_ATTEMPTS = 6;
/** Attempts of a transaction whose connection failed before COMMIT was sent (fast failures only). */
const CONNECTION_ATTEMPTS = 3;

export type TxOptions = { isolation?: 'read committed' | 'repeatable read' | 'serializable' };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether a failed attempt may run again. Serialization failures and deadlocks: yes. A connection
 * lost before COMMIT was sent (the callback had not finished, or node-postgres refused to send
 * COMMIT on a dead connection): yes, nothing was committed — PostgreSQL rolls back the open
 * transaction of a session that ends. Lost during COMMIT (`CommitOutcomeUnknownError`): never, the
 * change may be saved. A pool that had no connection to give, or a connect that timed out: not
 * here, waiting again would only hold the caller longer; the caller gets 503 with Retry-After.
 */
function retryDelayMs(error: unknown, attempt: number): number | null {
  const code = (error as { code?: string }).code;
  if (code && RETRYABLE.has(code)) return attempt < MAX_ATTEMPTS ? Math.random() * 10 * attempt : null;
  if (error instanceof CommitOutcomeUnknownError || isPoolTimeout(error) || isConnectTimeout(error)) return null;
  if (isConnectionError(error)) return attempt < CONNECTION_ATTEMPTS ? 50 * 4 ** (attempt - 1) * (0.5 + Math.random()) : null;
  return null;
}

async function runTransaction<DB, T>(
  db: Kysely<DB>,
  options: TxOptions,
  prepare: (tx: Transaction<DB>) => Promise<void>,
  fn: (tx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const hooks: Array<() => void | Promise<void>> = [];
    try {
      let builder = db.transaction();
      if (options.isolation) builder = builder.setIsolationLevel(options.isolation);
      const result = await builder.execute(async (tx) => {
        afterCommitHooks.set(tx, hooks);
        beforeCommitHooks.set(tx, new Map());
        txRoots.set(tx, db as unknown as Kysely<ControlTables>);
        await prepare(tx);
        const value = await fn(tx);
        await runBeforeCommit(tx);
        return value;
      });
      for (const hook of hooks) {
        try {
          await hook();
        } catch (error) {
          // After-commit work is best effort by design (durable effects live in the committed
          // transaction) and every hook handles its own failures; one that escapes is a bug, so say so.
          process.emitWarning(`an after-commit hook failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
      }
      return result;
    } catch (error) {
      const delay = retryDelayMs(error, attempt);
      if (delay === null) throw error;
      await sleep(delay);
    }
  }
}

/**
 * The one way to touch a tenant's data: a transaction pinned to the tenant's schema and role.
 * Serialization failures, deadlocks and connections lost before COMMIT are retried, so `fn` must
 * not have side effects outside the transaction (use `onCommit`).
 */
export async function withTenant<T>(
  db: Kysely<ControlTables>,
  slug: string,
  fn: (tx: TenantTx) => Promise<T>,
  options: TxOptions = {},
): Promise<T> {
  const schema = tenantSchema(slug);
  const role = tenantRole(slug);
  return runTransaction(
    db as unknown as Kysely<TenantTables>,
    options,
    async (tx) => {
      // jit off: tenant transactions are short OLTP work, and a mis-estimated CTE on the hot path
      // paid ~800 ms of JIT compilation for a 1 ms statement (analytics turn it back on).
      await sql`select set_config('search_path', ${schema}, true), set_config('role', ${role}, true), set_config('jit', 'off', true)`.execute(tx);
    },
    fn,
  );
}

/** A transaction on the control schema (tenants, memberships, ledger); every table is qualified. */
export function withControl<T>(db: Kysely<ControlTables>, fn: (tx: ControlTx) => Promise<T>, options: TxOptions = {}): Promise<T> {
  return runTransaction(db, options, async () => undefined, fn);
}
