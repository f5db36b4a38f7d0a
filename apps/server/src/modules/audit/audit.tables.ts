import type { ColumnType } from 'kysely';

/** The per-tenant chain head: one row, updated under its row lock by every writer. */
export type AuditChainTable = {
  id: ColumnType<boolean, boolean | undefined, never>;
  last_sequence: number;
  last_hash: string;
};

/**
 * One audit event. Append-only (trigger + privileges); `hash` is SHA-256 over the canonical JSON of
 * the content and `prev_hash` (see audit.hash.ts).
 */
export type AuditEventsTable = {
  sequence: number;
  occurred_at: ColumnType<Date, Date | string, never>;
  actor_kind: string;
  actor_subject: string;
  actor_name: string;
  actor_roles: ColumnType<string[], string[], never>;
  action: string;
  entity_type: string;
  entity_id: string;
  before: ColumnType<Record<string, unknown> | null, string | null, never>;
  after: ColumnType<Record<string, unknown> | null, string | null, never>;
  request_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  prev_hash: string;
  hash: string;
  /**
   * Hash version 2 (decision 0012): the keyed hash (HMAC-SHA-256, `audit_secret`) of each personal
   * value by path (`actor/name`, `after/createdBy/name`…); the hash covers these instead of the values.
   * Null: an event written before keyed hashing (version 1, the hash covers the values).
   */
  personal: ColumnType<Record<string, string> | null, never, never>;
};

/** The tenant's audit HMAC key (one row; the tenant role may read, not change it). */
export type AuditSecretTable = {
  id: ColumnType<boolean, never, never>;
  key: ColumnType<Buffer, never, never>;
  inner_pad: ColumnType<Buffer, never, never>;
  outer_pad: ColumnType<Buffer, never, never>;
  created_at: ColumnType<Date, never, never>;
};

/** Pseudonyms written by erasure (insert-only). */
export type AuditErasuresTable = {
  pseudonym: string;
  erased_at: ColumnType<Date, never, never>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    audit_chain: AuditChainTable;
    audit_events: AuditEventsTable;
    audit_secret: AuditSecretTable;
    audit_erasures: AuditErasuresTable;
  }
}
