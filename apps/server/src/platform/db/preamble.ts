import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * SQL that must run right after BEGIN in the transaction being opened (a tenant's search path,
 * role and settings), handed to the driver so that BEGIN and it travel in ONE round trip (a simple
 * query of two statements). Only literals vetted by the caller: the text is sent as is.
 * Consumed by the first BEGIN under it, so a transaction opened inside that one is not affected.
 */
export type Preamble = { sql: string; sent: boolean };

export const preambles = new AsyncLocalStorage<Preamble>();

/** The preamble waiting for the BEGIN being sent now (marked sent), or undefined. */
export function takePreamble(): string | undefined {
  const preamble = preambles.getStore();
  if (!preamble || preamble.sent) return undefined;
  preamble.sent = true;
  return preamble.sql;
}

/**
 * The other end of a transaction: its final write (`scope.ts`, `beforeCommit`), handed to the
 * driver so that it, COMMIT and the after-commit wake-ups travel in ONE round trip (a simple query
 * of several statements: `select <final write>; commit; select pg_notify(…)`). The text holds only
 * literals (parameters inlined with `escapeLiteral`). The driver puts the final write's row in
 * `row`. Only drivers registered in `epilogueDrivers` (ours, `database.ts`) are handed one; for
 * any other, the final write is sent as a statement of its own before COMMIT.
 */
export type Epilogue = { sql: string | null; afterCommit: string | null; row: Record<string, unknown> | undefined };

export const epilogues = new AsyncLocalStorage<Epilogue>();

/** Root Kysely instances whose driver sends the epilogue with COMMIT. */
export const epilogueDrivers = new WeakSet<object>();

/** The epilogue of the transaction being committed now (consumed), or undefined. */
export function takeEpilogue(): Epilogue | undefined {
  const epilogue = epilogues.getStore();
  if (!epilogue || epilogue.sql === null) return undefined;
  return epilogue;
}
