import type { Selectable } from 'kysely';
import type { AuditEvent, AuditFilter } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import type { HashedContent, JsonValue } from './audit.hash.js';
import type { AuditEventsTable } from './audit.tables.js';

export type AuditRow = Selectable<AuditEventsTable>;

export type Keyset = { order: 'asc' | 'desc'; after?: number | undefined; limit: number; upTo?: number };

/** `select * from audit_events where <filter> and sequence >/< <cursor> order by sequence limit n` */
export async function selectAuditEvents(tx: TenantTx, filter: AuditFilter, keyset: Keyset): Promise<AuditRow[]> {
  let query = tx.selectFrom('audit_events').selectAll();
  if (filter.entityType !== undefined) query = query.where('entity_type', '=', filter.entityType);
  if (filter.entityId !== undefined) query = query.where('entity_id', '=', filter.entityId);
  if (filter.actor !== undefined) query = query.where('actor_subject', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.from !== undefined) query = query.where('occurred_at', '>=', new Date(filter.from));
  if (filter.to !== undefined) query = query.where('occurred_at', '<', new Date(filter.to));
  if (keyset.after !== undefined) query = query.where('sequence', keyset.order === 'asc' ? '>' : '<', keyset.after);
  if (keyset.upTo !== undefined) query = query.where('sequence', '<=', keyset.upTo);
  return query.orderBy('sequence', keyset.order).limit(keyset.limit).execute();
}

/** `select * from audit_events where sequence > $after and sequence <= $upTo order by sequence limit n` (the chain walk) */
export async function selectChainSlice(tx: TenantTx, after: number, upTo: number, limit: number): Promise<AuditRow[]> {
  return tx
    .selectFrom('audit_events')
    .selectAll()
    .where('sequence', '>', after)
    .where('sequence', '<=', upTo)
    .orderBy('sequence', 'asc')
    .limit(limit)
    .execute();
}

/** `select last_sequence, last_hash from audit_chain` (no lock: every sequence up to it is committed) */
export async function selectChainHead(tx: TenantTx): Promise<{ sequence: number; hash: string }> {
  const head = await tx.selectFrom('audit_chain').select(['last_sequence', 'last_hash']).executeTakeFirstOrThrow();
  return { sequence: Number(head.last_sequence), hash: head.last_hash };
}

const iso = (value: Date | string): string => new Date(value).toISOString();

/** What the stored row claims it hashed, rebuilt exactly as recordAudit built it. */
export function hashedContentOf(row: AuditRow): HashedContent {
  return {
    sequence: Number(row.sequence),
    occurredAt: iso(row.occurred_at),
    actor: { kind: row.actor_kind, subject: row.actor_subject, name: row.actor_name, roles: row.actor_roles },
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    before: row.before as Record<string, JsonValue> | null,
    after: row.after as Record<string, JsonValue> | null,
    requestId: row.request_id,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
    prevHash: row.prev_hash,
  };
}

export function auditEventOf(row: AuditRow): AuditEvent {
  const content = hashedContentOf(row);
  return { ...content, actor: { ...content.actor, kind: content.actor.kind === 'system' ? 'system' : 'user' }, hash: row.hash };
}
