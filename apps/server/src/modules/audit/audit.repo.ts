import { sql, type Selectable } from 'kysely';
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

/** `select key from audit_secret` (the tenant's HMAC key for personal fields) */
export async function selectAuditKey(tx: TenantTx): Promise<Buffer> {
  const row = await tx.selectFrom('audit_secret').select('key').executeTakeFirstOrThrow();
  return row.key;
}

/** `select pseudonym from audit_erasures` (every pseudonym erasure wrote) */
export async function selectPseudonyms(tx: TenantTx): Promise<Set<string>> {
  const rows = await tx.selectFrom('audit_erasures').select('pseudonym').execute();
  return new Set(rows.map((r) => r.pseudonym));
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

/** `insert into audit_erasures (pseudonym)` */
export async function insertErasure(tx: TenantTx, pseudonym: string): Promise<void> {
  await tx.insertInto('audit_erasures').values({ pseudonym }).execute();
}

/** `select … from audit_events where sequence > $after and (actor_subject = $subject or (entity_type, entity_id) in (…)) order by sequence limit n` */
export function selectPersonEvents(
  tx: TenantTx,
  person: { subject: string | null; entities: ReadonlyArray<{ type: string; id: string }> },
  after: number,
  limit: number,
) {
  return tx
    .selectFrom('audit_events')
    .select(['sequence', 'actor_subject', 'actor_name', 'entity_type', 'entity_id', 'before', 'after', 'personal'])
    .where('sequence', '>', after)
    .where((eb) =>
      eb.or([
        ...(person.subject !== null ? [eb('actor_subject', '=', person.subject)] : []),
        ...person.entities.map((e) => eb.and([eb('entity_type', '=', e.type), eb('entity_id', '=', e.id)])),
        ...(person.subject === null && person.entities.length === 0 ? [sql<boolean>`false`] : []),
      ]),
    )
    .orderBy('sequence')
    .limit(limit)
    .execute();
}

export type PersonalFieldsUpdate = {
  sequence: number;
  actor_name: string;
  before: Record<string, JsonValue> | null;
  after: Record<string, JsonValue> | null;
};

/** `update audit_events set actor_name, before, after from jsonb_to_recordset($1) where sequence = …` (erasure only: the guard refuses anything else) */
export async function updatePersonalFields(tx: TenantTx, updates: readonly PersonalFieldsUpdate[]): Promise<number> {
  const result = await sql`
    update audit_events e set actor_name = x.actor_name, before = x.before, after = x.after
    from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as x(sequence bigint, actor_name text, before jsonb, after jsonb)
    where e.sequence = x.sequence`.execute(tx);
  return Number(result.numAffectedRows ?? 0n);
}
