import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Caller } from '../../platform/caller.js';
import { withTenant, type Database, type TenantTx } from '../../platform/db/index.js';
import { unprocessable, validationFailed } from '../../platform/errors.js';
import { forEachTenant, schedule, type SchedulerLog } from '../../platform/scheduler.js';
import './integrations.tables.js';

/** The request header, and the answer header that says a response is the first one, replayed. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** How long a key is remembered (per tenant). */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` header of a request: undefined when absent, 400 when malformed. */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY_PATTERN.test(value)) {
    throw validationFailed('the Idempotency-Key header must be 1 to 255 visible ASCII characters, sent once', [
      { field: 'Idempotency-Key', message: '1 to 255 visible ASCII characters' },
    ]);
  }
  return value;
}

/** JSON with object keys sorted, so the same body hashes the same whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const requestHashOf = (body: unknown): string => createHash('sha256').update(canonical(body)).digest('hex');

export type IdempotentResult<T> = { status: number; body: T; replayed: boolean };

/**
 * Runs a creating use case at most once per key (and tenant) within 24 hours, in the caller's
 * transaction. The key's row is written first: a concurrent request with the same key waits on
 * it, then replays the stored response once the first commits (or runs itself if the first rolled
 * back, leaving no row). The same key with another body is refused with 422. Only successful
 * answers are kept: a request that failed changed nothing and may be retried with its key.
 */
export async function runIdempotent<T>(
  tx: TenantTx,
  caller: Caller,
  input: { operation: string; key: string; body: unknown },
  create: () => Promise<{ status: number; body: T }>,
): Promise<IdempotentResult<T>> {
  const requestHash = requestHashOf(input.body);
  const claimed = await tx
    .insertInto('idempotency_keys')
    .values({ operation: input.operation, key: input.key, request_hash: requestHash, actor_subject: caller.subject })
    .onConflict((oc) =>
      oc
        .columns(['operation', 'key'])
        .doUpdateSet({ request_hash: requestHash, actor_subject: caller.subject, status: null, body: null, created_at: sql<Date>`now()` })
        // A key older than its 24 hours that the clean-up has not removed yet counts as new.
        .where('idempotency_keys.created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`),
    )
    .returning('key')
    .executeTakeFirst();
  if (claimed) {
    const result = await create();
    await tx
      .updateTable('idempotency_keys')
      .set({ status: result.status, body: JSON.stringify(result.body) })
      .where('operation', '=', input.operation)
      .where('key', '=', input.key)
      .execute();
    return { ...result, replayed: false };
  }
  const first = await tx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'body'])
    .where('operation', '=', input.operation)
    .where('key', '=', input.key)
    .executeTakeFirstOrThrow();
  if (first.request_hash !== requestHash || first.status === null) {
    throw unprocessable('idempotency-key-reused', 'this Idempotency-Key was already used with another request body', [
      { field: 'Idempotency-Key', message: 'already used with another request body; use a new key for a new request' },
    ]);
  }
  return { status: first.status, body: first.body as T, replayed: true };
}

/** Forgets the tenant's keys older than 24 hours. */
export async function deleteExpiredIdempotencyKeys(tx: TenantTx): Promise<number> {
  const result = await tx
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The periodic clean-up of every tenant's expired keys (hourly). */
export function startIdempotencyCleanup(database: Database, log: SchedulerLog, intervalMs = 3_600_000): () => void {
  const name = 'idempotency key clean-up';
  return schedule(
    name,
    intervalMs,
    log,
    () => forEachTenant(database.db, name, log, (slug) => withTenant(database.db, slug, deleteExpiredIdempotencyKeys)),
    { runNow: false },
  );
}
