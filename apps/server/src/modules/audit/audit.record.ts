import { sql, type Insertable } from 'kysely';
import type { Caller } from '../../platform/caller.js';
import { beforeCommit, type TenantTx } from '../../platform/db/index.js';
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

/** Events recorded in a transaction and not yet written: flushed together just before COMMIT. */
const pending = new WeakMap<TenantTx, Array<{ caller: Caller; entries: readonly AuditEntry[] }>>();

/**
 * Appends one event to the tenant's audit chain, inside the caller's transaction: it exists if and
 * only if the transaction commits. Events are buffered and written together at the end of the
 * transaction (one chain-head lock, two statements, whatever the number of events): the head's
 * row lock serialises the tenant's writers from there until commit only, so sequence numbers are
 * gap-free and commit in order while the lock is held for the shortest possible time.
 * `before`/`after` are reduced to the fields that changed.
 */
export async function recordAudit(tx: TenantTx, caller: Caller, entry: AuditEntry): Promise<void> {
  await recordAuditBatch(tx, caller, [entry]);
}

/** Appends several events of one caller in order (imports, bulk changes, test and bench data). */
export async function recordAuditBatch(tx: TenantTx, caller: Caller, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  entries.forEach(checkEntry);
  const buffer = pending.get(tx);
  if (buffer) {
    buffer.push({ caller, entries });
    return;
  }
  const fresh = [{ caller, entries }];
  if (beforeCommit(tx, 'audit.flush', 100, () => flushAudit(tx))) {
    pending.set(tx, fresh);
    return;
  }
  await writeAudit(tx, fresh);
}

async function flushAudit(tx: TenantTx): Promise<void> {
  const batches = pending.get(tx) ?? [];
  pending.delete(tx);
  await writeAudit(tx, batches);
}

async function writeAudit(tx: TenantTx, batches: ReadonlyArray<{ caller: Caller; entries: readonly AuditEntry[] }>): Promise<void> {
  if (batches.length === 0) return;
  // The chain head is locked here, at the end of the transaction, and held only until COMMIT.
  const head = await sql<{ last_sequence: number; last_hash: string; now: Date }>`
    select last_sequence, last_hash, date_trunc('milliseconds', clock_timestamp()) as now
    from audit_chain where id for update`.execute(tx);
  const row = head.rows[0];
  if (!row) throw new Error('audit: the chain head row is missing');
  const occurredAt = new Date(row.now).toISOString();
  let sequence = Number(row.last_sequence);
  let prevHash = row.last_hash;
  let values: Array<Insertable<AuditEventsTable>> = [];
  const flush = async (): Promise<void> => {
    if (values.length > 0) await tx.insertInto('audit_events').values(values).execute();
    values = [];
  };
  for (const { caller, entries } of batches) {
  const actor = { kind: caller.kind, subject: storableText(caller.subject), name: storableText(caller.name), roles: caller.roles.map(storableText) };
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
  }
  // The last (usually only) insert and the head update travel as one statement.
  const last = values;
  await tx
    .with('inserted', (db) => (last.length > 0 ? db.insertInto('audit_events').values(last).returning('sequence') : db.selectNoFrom(sql<number>`0`.as('sequence'))))
    .updateTable('audit_chain')
    .set({ last_sequence: sequence, last_hash: prevHash })
    .where('id', '=', true)
    .execute();
}

/**
 * Takes the tenant's audit-chain lock now rather than at the end of the transaction (tests and
 * tools that need every writer of the tenant to wait; the dispatch engine no longer uses it).
 */
export async function holdAuditChain(tx: TenantTx): Promise<void> {
  await sql`select last_sequence from audit_chain where id for update`.execute(tx);
}
