import { sql, type Transaction } from 'kysely';

export const name = '202612035002_integrations_idempotency_keys';

/**
 * `Idempotency-Key` of creating requests: the first response (status and body) kept for 24 hours
 * against the key and a hash of the request body. The row is inserted first in the request's
 * transaction, so a concurrent request with the same key waits on it and then replays.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table idempotency_keys (
      operation text not null check (length(operation) between 1 and 100),
      key text not null check (length(key) between 1 and 255),
      request_hash text not null check (length(request_hash) = 64),
      actor_subject text not null,
      status integer,
      body jsonb,
      created_at timestamptz not null default now(),
      primary key (operation, key)
    )`.execute(db);
  await sql`create index idempotency_keys_created_idx on idempotency_keys (created_at)`.execute(db);
  // The tenant role's privileges come from the schema's default privileges (migrator).
}
