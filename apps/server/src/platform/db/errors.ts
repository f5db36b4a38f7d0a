/** The constraint a unique violation (SQLSTATE 23505) hit, or undefined for any other error. */
export function uniqueViolationOf(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string };
  return e.code === '23505' ? (e.constraint ?? '') : undefined;
}

/** The constraint a foreign-key violation (SQLSTATE 23503) hit, or undefined. */
export function foreignKeyViolationOf(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string };
  return e.code === '23503' ? (e.constraint ?? '') : undefined;
}

/**
 * Why the database could not serve a request, when that is the reason:
 * - `unavailable`: the connection failed or was lost (server down, restarting, terminated us);
 * - `busy`: no pooled connection came free within DATABASE_POOL_TIMEOUT_MS;
 * - `timeout`: a statement ran past its statement_timeout (reporting) or was cancelled;
 * - `outcome-unknown`: the connection was lost while COMMIT was under way, so the change may or
 *   may not have been saved.
 * Each is answered 503 with Retry-After: the request was sound, the service was not.
 */
export type Unavailability = { kind: 'unavailable' | 'busy' | 'timeout' | 'outcome-unknown'; retryAfterSeconds: number };

const RETRY_AFTER_SECONDS: Record<Unavailability['kind'], number> = { unavailable: 2, busy: 1, timeout: 5, 'outcome-unknown': 2 };

/** The connection was lost while COMMIT was in flight: the transaction may have committed. */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(`the database connection was lost during COMMIT (${messageOf(cause)}); the outcome is unknown`, { cause });
    this.name = 'CommitOutcomeUnknownError';
  }
}

/** More callers already wait for a connection than the pool allows (`maxWaiting`): refused at once. */
export class PoolSaturatedError extends Error {
  constructor(maxWaiting: number) {
    super(`${maxWaiting} callers already wait for a database connection`);
    this.name = 'PoolSaturatedError';
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** SQLSTATEs of a lost or refused connection: class 08, admin/crash shutdown, starting up, too many connections. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '25P03']);
/** Socket-level failures (Node `code`s) of a connection to the database. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres and pg-pool report these without a code. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'not queryable',
  'timeout expired',
  'Cannot use a pool after calling end on the pool',
  'driver has already been destroyed',
  'Postgres connection has been discarded',
];
const POOL_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';
/** node-postgres refuses a query on a client whose connection already failed: the query never left. */
const NOT_SENT_MESSAGES = ['Client has encountered a connection error and is not queryable', 'Client was closed and is not queryable'];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The error and the errors it aggregates (Node reports a refused dual-stack connect as an
 * AggregateError). Causes are not followed: a failed outbound `fetch` carries ECONNREFUSED in its
 * cause, and that is not the database.
 */
function* chainOf(error: unknown, depth = 0): Generator<unknown> {
  if (error === null || error === undefined || depth > 3) return;
  yield error;
  const inner = (error as { errors?: unknown }).errors;
  if (error instanceof AggregateError && Array.isArray(inner)) for (const e of inner) yield* chainOf(e, depth + 1);
}

/** No pooled connection came free in time (pg-pool's acquisition timeout), or too many already wait. */
export function isPoolTimeout(error: unknown): boolean {
  return error instanceof PoolSaturatedError || (error instanceof Error && error.message === POOL_TIMEOUT_MESSAGE);
}

/** The connection to the database failed, was refused or was lost. */
export function isConnectionError(error: unknown): boolean {
  for (const e of chainOf(error)) {
    const code = codeOf(e);
    if (code && (code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || SOCKET_CODES.has(code))) return true;
    const message = e instanceof Error ? e.message : '';
    if (CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
  }
  return false;
}

/** The query was refused by node-postgres before it was sent (the connection had already failed). */
export function wasNeverSent(error: unknown): boolean {
  return error instanceof Error && NOT_SENT_MESSAGES.includes(error.message);
}

/** A connect attempt that timed out: retrying at once would only wait as long again. */
export function isConnectTimeout(error: unknown): boolean {
  for (const e of chainOf(error)) {
    const message = e instanceof Error ? e.message : '';
    if (message.includes('connection timeout') || message === 'timeout expired') return true;
  }
  return false;
}

/** Whether (and how) an error means "the database cannot serve this now" rather than a bug or bad input. */
export function unavailabilityOf(error: unknown): Unavailability | undefined {
  let kind: Unavailability['kind'] | undefined;
  if (error instanceof CommitOutcomeUnknownError) kind = 'outcome-unknown';
  else if (isPoolTimeout(error)) kind = 'busy';
  else if (codeOf(error) === '57014') kind = 'timeout';
  else if (isConnectionError(error)) kind = 'unavailable';
  return kind ? { kind, retryAfterSeconds: RETRY_AFTER_SECONDS[kind] } : undefined;
}
