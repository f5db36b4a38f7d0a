import { createHash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import pg from 'pg';
import { CommitOutcomeUnknownError, isConnectionError, isConnectTimeout, isPoolTimeout } from './errors.js';
import { epilogueDrivers, epilogues, preambles, type Epilogue, type Preamble } from './preamble.js';
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
 *
 * Roles are cluster objects while schemas belong to one database, so the name carries the
 * database too: `ym_<first 10 hex of md5(database name)>_<slug>` (at most 54 bytes, under
 * PostgreSQL's 63). Two Yardmaster databases on one cluster never share a tenant role. The same
 * rule in SQL is `control.tenant_role(slug)` (migration 202612021000), which `withTenant` uses so
 * that it needs no round trip to learn the database name.
 */
export const tenantRole = (database: string, slug: string): string => {
  assertTenantSlug(slug);
  return `${tenantRolePrefix(database)}${slug}`;
};

/** The prefix shared by every tenant role of one database (for clean-up: `like 'ym\_<hash>\_%'`). */
export const tenantRolePrefix = (database: string): string => `ym_${createHash('md5').update(database).digest('hex').slice(0, 10)}_`;

const afterCommitHooks = new WeakMap<object, Array<() => void | Promise<void>>>();

/** Runs `fn` once the surrounding transaction has committed (never if it rolls back). */
export function onCommit(tx: Transaction<never> | TenantTx | ControlTx, fn: () => void | Promise<void>): void {
  const hooks = afterCommitHooks.get(tx);
  if (!hooks) throw new Error('onCommit called outside withTenant/withControl');
  hooks.push(fn);
}

/**
 * A transaction's write set, sent at its END in ONE statement: modules buffer rows (audit events,
 * live events) during the transaction and, just before COMMIT, each buffer becomes one expression
 * of a single `select <part>, <part>, …` (set-returning SQL functions: `live_publish`,
 * `audit_append`). So the locks that order a tenant's writes (event counter, audit chain head) are
 * taken once, late, by one statement, and held only until COMMIT: never across a round trip to
 * Node. Parts run in `order` (lower first; the expressions of one select list are evaluated left
 * to right), which is also the order those locks are taken in. Keyed: registering the same key
 * again in one transaction is a no-op; `produce` is called at the end and may return null.
 */
export type FinalWrite = {
  sql: RawBuilder<unknown>;
  /** Called with the part's value once it is written; `woken`: its `wake` went out with COMMIT. */
  done?: (value: unknown, woken: boolean) => void;
  /** A NOTIFY to send right after COMMIT, in the same round trip when the driver can (else `done` sends it). */
  wake?: { channel: string; payload: string };
};
const beforeCommitHooks = new WeakMap<object, Map<string, { order: number; produce: () => FinalWrite | null }>>();
/** The database a transaction belongs to (after-commit work opens its own transaction there). */
const txRoots = new WeakMap<object, Kysely<ControlTables>>();

/** Registers a part of the transaction's final write; false when outside withTenant/withControl (write now instead). */
export function beforeCommit(
  tx: Transaction<never> | TenantTx | ControlTx,
  key: string,
  order: number,
  produce: () => FinalWrite | null,
): boolean {
  const hooks = beforeCommitHooks.get(tx);
  if (!hooks) return false;
  if (!hooks.has(key)) hooks.set(key, { order, produce });
  return true;
}

/** A parameter as an SQL literal (the epilogue is a simple query: it cannot carry parameters). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
  throw new Error(`final write: cannot inline a ${typeof value} parameter`);
}

/**
 * Writes the transaction's buffered parts: in ONE statement now, or, when the driver takes an
 * epilogue, as the text it sends with COMMIT (the parts' `done` then runs once it has committed).
 */
async function runBeforeCommit(tx: Transaction<never>, epilogue: Epilogue | undefined): Promise<FinalWrite[]> {
  const hooks = beforeCommitHooks.get(tx);
  if (!hooks || hooks.size === 0) return [];
  const parts = [...hooks.values()]
    .sort((x, y) => x.order - y.order)
    .map((hook) => hook.produce())
    .filter((part): part is FinalWrite => part !== null);
  hooks.clear();
  if (parts.length === 0) return [];
  const statement = sql<Record<string, unknown>>`select ${sql.join(parts.map((part, i) => sql`${part.sql} as ${sql.id(`p${i}`)}`))}`;
  if (epilogue) {
    const compiled = statement.compile(tx);
    // $n is only ever a placeholder here: the parts are our own SQL, with no literals of their own.
    epilogue.sql = compiled.sql.replace(/\$(\d+)/g, (_match, n: string) => literal(compiled.parameters[Number(n) - 1]));
    const wakes = parts.flatMap((part) => (part.wake ? [part.wake] : []));
    // A wake-up is a hint (readers poll too): it need not wait for its own WAL flush.
    epilogue.afterCommit =
      wakes.length === 0
        ? null
        : `select set_config('synchronous_commit', 'off', true), ${wakes.map((w) => `pg_notify(${literal(w.channel)}, ${literal(w.payload)})`).join(', ')}`;
    return parts;
  }
  const { rows } = await statement.execute(tx);
  parts.forEach((part, i) => part.done?.(rows[0]?.[`p${i}`], false));
  return [];
}

/** The tenant schema a transaction opened by withTenant works in. */
const txSchemas = new WeakMap<object, string>();

export function schemaOf(tx: TenantTx): string {
  const schema = txSchemas.get(tx);
  if (!schema) throw new Error('schemaOf called outside withTenant');
  return schema;
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
  prepare: { sql: string; schema: string } | null,
  fn: (tx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const hooks: Array<() => void | Promise<void>> = [];
    try {
      let builder = db.transaction();
      if (options.isolation) builder = builder.setIsolationLevel(options.isolation);
      // The preamble rides with BEGIN (one round trip) when the driver is ours; otherwise it is sent here.
      const preamble: Preamble | undefined = prepare ? { sql: prepare.sql, sent: false } : undefined;
      // The final write rides with COMMIT (one round trip) when the driver is ours.
      const epilogue: Epilogue | undefined = epilogueDrivers.has(db) ? { sql: null, afterCommit: null, row: undefined } : undefined;
      let deferred: FinalWrite[] = [];
      const run = (): Promise<T> =>
        builder.execute(async (tx) => {
          afterCommitHooks.set(tx, hooks);
          beforeCommitHooks.set(tx, new Map());
          txRoots.set(tx, db as unknown as Kysely<ControlTables>);
          if (prepare) txSchemas.set(tx, prepare.schema);
          if (preamble && !preamble.sent) {
            preamble.sent = true;
            await sql.raw(preamble.sql).execute(tx);
          }
          const value = await fn(tx);
          deferred = await runBeforeCommit(tx as unknown as Transaction<never>, epilogue);
          return value;
        });
      const framed = (): Promise<T> => (epilogue ? epilogues.run(epilogue, run) : run());
      const result = preamble ? await preambles.run(preamble, framed) : await framed();
      deferred.forEach((part, i) => part.done?.(epilogue?.row?.[`p${i}`], true));
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
  // jit off: tenant transactions are short OLTP work, and a mis-estimated CTE on the hot path paid
  // ~800 ms of JIT compilation for a 1 ms statement (analytics turn it back on). The schema and the
  // slug are vetted names (`assertTenantSlug`), so they are written as literals and travel with
  // BEGIN; the role comes from `control.tenant_role` (it carries the database's name), in the same
  // statement, so no round trip is needed to learn it.
  const preamble = `select set_config('search_path', '${schema}', true), set_config('role', control.tenant_role('${slug}'), true), set_config('jit', 'off', true)`;
  return runTransaction(db as unknown as Kysely<TenantTables>, options, { sql: preamble, schema }, fn);
}

/** A transaction on the control schema (tenants, memberships, ledger); every table is qualified. */
export function withControl<T>(db: Kysely<ControlTables>, fn: (tx: ControlTx) => Promise<T>, options: TxOptions = {}): Promise<T> {
  return runTransaction(db, options, null, fn);
}
