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
