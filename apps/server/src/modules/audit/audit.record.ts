import { sql, type Insertable } from 'kysely';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { canonicalJson, diffFields, hashEvent, storableText, type HashedContent } from './audit.hash.js';
import type { AuditEventsTable } from './audit.tables.js';

export type AuditEntry = {
  action: string;
  entityType: string;
  entityId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
};

const MAX_LABEL = 100;
const MAX_ENTITY_ID = 200;

function checkEntry(entry: AuditEntry): void {
  if (entry.action.length < 1 || entry.action.length > MAX_LABEL) throw new Error(`audit: action "${entry.action}" must be 1 to ${MAX_LABEL} characters`);
  if (entry.entityType.length < 1 || entry.entityType.length > MAX_LABEL) throw new Error(`audit: entityType must be 1 to ${MAX_LABEL} characters`);
  if (entry.entityId.length < 1 || entry.entityId.length > MAX_ENTITY_ID) throw new Error(`audit: entityId must be 1 to ${MAX_ENTITY_ID} characters`);
}

const text = (value: string | null): string | null => (value === null ? null : storableText(value));

/** Rows per INSERT statement (16 parameters each, well under PostgreSQL's 65,535). */
const INSERT_CHUNK = 1000;

/**
 * Appends one event to the tenant's audit chain, inside the caller's transaction: it exists if and
 * only if the transaction commits. The chain head's row lock (`for update`) serialises the
 * tenant's writers until commit, so sequence numbers are gap-free and commit in order.
 * `before`/`after` are reduced to the fields that changed.
 */
export async function recordAudit(tx: TenantTx, caller: Caller, entry: AuditEntry): Promise<void> {
  await recordAuditBatch(tx, caller, [entry]);
}

/** Appends several events of one caller in order (imports, bulk changes, test and bench data). */
export async function recordAuditBatch(tx: TenantTx, caller: Caller, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  entries.forEach(checkEntry);
  const head = await sql<{ last_sequence: number; last_hash: string; now: Date }>`
    select last_sequence, last_hash, date_trunc('milliseconds', clock_timestamp()) as now
    from audit_chain where id for update`.execute(tx);
  const row = head.rows[0];
  if (!row) throw new Error('audit: the chain head row is missing');
  const occurredAt = new Date(row.now).toISOString();
  const actor = { kind: caller.kind, subject: storableText(caller.subject), name: storableText(caller.name), roles: caller.roles.map(storableText) };
  let sequence = Number(row.last_sequence);
  let prevHash = row.last_hash;
  let values: Array<Insertable<AuditEventsTable>> = [];
  const flush = async (): Promise<void> => {
    if (values.length > 0) await tx.insertInto('audit_events').values(values).execute();
    values = [];
  };
  for (const entry of entries) {
    const { before, after } = diffFields(entry.before, entry.after);
    sequence += 1;
    const content: HashedContent = {
      sequence,
      occurredAt,
      actor,
      action: storableText(entry.action),
      entityType: storableText(entry.entityType),
      entityId: storableText(entry.entityId),
      before,
      after,
      requestId: text(caller.requestId),
      sourceIp: text(caller.sourceIp),
      userAgent: text(caller.userAgent),
      prevHash,
    };
    const hash = hashEvent(content);
    values.push({
      sequence,
      occurred_at: occurredAt,
      actor_kind: actor.kind,
      actor_subject: actor.subject,
      actor_name: actor.name,
      actor_roles: actor.roles,
      action: content.action,
      entity_type: content.entityType,
      entity_id: content.entityId,
      before: before === null ? null : canonicalJson(before),
      after: after === null ? null : canonicalJson(after),
      request_id: content.requestId,
      source_ip: content.sourceIp,
      user_agent: content.userAgent,
      prev_hash: prevHash,
      hash,
    });
    prevHash = hash;
    if (values.length >= INSERT_CHUNK) await flush();
  }
  await flush();
  await tx.updateTable('audit_chain').set({ last_sequence: sequence, last_hash: prevHash }).where('id', '=', true).execute();
}

/**
 * Takes the tenant's audit-chain lock now rather than at the first `recordAudit`. The dispatch
 * engine calls it before reading the queue: every writer of the tenant takes this one lock, so
 * taking it first orders queue matching with every other change and cannot deadlock with them.
 */
export async function holdAuditChain(tx: TenantTx): Promise<void> {
  await sql`select last_sequence from audit_chain where id for update`.execute(tx);
}
