import { sql } from 'kysely';
import type { Caller } from '../../platform/caller.js';
import { beforeCommit, type FinalWrite, type TenantTx } from '../../platform/db/index.js';
import { canonicalJson, diffFields, replacePersonal, storableText, type JsonValue } from './audit.hash.js';

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
  if (entry.action.length < 1 || entry.action.length > MAX_LABEL)
    throw new Error(`audit: action "${entry.action}" must be 1 to ${MAX_LABEL} characters`);
  if (entry.entityType.length < 1 || entry.entityType.length > MAX_LABEL)
    throw new Error(`audit: entityType must be 1 to ${MAX_LABEL} characters`);
  if (entry.entityId.length < 1 || entry.entityId.length > MAX_ENTITY_ID)
    throw new Error(`audit: entityId must be 1 to ${MAX_ENTITY_ID} characters`);
}

const text = (value: string | null): string | null => (value === null ? null : storableText(value));

/** Events recorded in a transaction and not yet written: flushed together just before COMMIT. */
const pending = new WeakMap<TenantTx, Array<{ caller: Caller; entries: readonly AuditEntry[] }>>();

/**
 * Appends one event to the tenant's audit chain, inside the caller's transaction: it exists if and
 * only if the transaction commits. Events are buffered and written together at the end of the
 * transaction by ONE statement (`audit_append`, part of the transaction's final write): it locks the
 * chain head, appends, hashes and advances the head in the database, so the head's row lock
 * serialises the tenant's writers from there until COMMIT only, never across a round trip to Node;
 * sequence numbers are gap-free and commit in order. `before`/`after` are reduced to the fields
 * that changed.
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
  if (
    beforeCommit(tx, 'audit.flush', 100, () => {
      const batches = pending.get(tx) ?? [];
      pending.delete(tx);
      return auditWrite(batches);
    })
  ) {
    pending.set(tx, fresh);
    return;
  }
  const write = auditWrite(fresh);
  if (write) await sql`select ${write.sql}`.execute(tx);
}

/** Stands in for a personal value while the canonical text is cut (real text never holds NUL: `storableText`). */
const hole = (i: number): string => `\u0000hole:${i}`;
const HOLE_TEXT = /"\\u0000hole:(\d+)"/;

/**
 * One event as `audit_append` takes it: the stored fields, and the canonical JSON of its hashed
 * content (`hashEvent` over `sealPersonal`) cut around the values only the database fills in.
 * `s` and `p`: the text up to `"occurredAt":"` is `s[0] ‖ "hmac-sha256:" ‖ HMAC(p[0].v) ‖ s[1] ‖ …`,
 * one hole per personal value (`p[i].k` its path as in `personalPath`, `p[i].v` its canonical JSON, HMAC'd with the
 * tenant's key in SQL); then `","prevHash":"` + the previous hash, `b` up to `"sequence":`, `c`
 * the rest. Keys sort as action, actor, after, before, entityId, entityType, occurredAt, prevHash,
 * requestId, sequence, sourceIp, userAgent (the `HashedContent` keys; `audit.hash.test.ts` checks
 * the cut).
 */
export function appendableEvent(caller: Caller, entry: AuditEntry): Record<string, unknown> {
  const actor = {
    kind: caller.kind,
    subject: storableText(caller.subject),
    name: storableText(caller.name),
    roles: caller.roles.map(storableText),
  };
  const { before, after } = diffFields(entry.before, entry.after);
  const action = storableText(entry.action);
  const entityType = storableText(entry.entityType);
  const entityId = storableText(entry.entityId);
  const requestId = text(caller.requestId);
  const sourceIp = text(caller.sourceIp);
  const userAgent = text(caller.userAgent);
  const j = (value: JsonValue): string => canonicalJson(value);
  const personal: Array<{ k: string; v: string }> = [{ k: 'actor/name', v: j(actor.name) }];
  const holeFor = (path: string, value: JsonValue): JsonValue => {
    personal.push({ k: path, v: j(value) });
    return hole(personal.length - 1);
  };
  const holedActor = { ...actor, name: hole(0) };
  const holedAfter = replacePersonal('after', after, holeFor);
  const holedBefore = replacePersonal('before', before, holeFor);
  const a = `{"action":${j(action)},"actor":${j(holedActor)},"after":${j(holedAfter)},"before":${j(holedBefore)},"entityId":${j(entityId)},"entityType":${j(entityType)},"occurredAt":"`;
  const parts = a.split(HOLE_TEXT);
  const segments = parts.filter((_, i) => i % 2 === 0);
  const order = parts.filter((_, i) => i % 2 === 1).map(Number);
  return {
    s: segments,
    p: order.map((i) => personal[i]),
    b: `","requestId":${j(requestId)},"sequence":`,
    c: `,"sourceIp":${j(sourceIp)},"userAgent":${j(userAgent)}}`,
    actor_kind: actor.kind,
    actor_subject: actor.subject,
    actor_name: actor.name,
    actor_roles: actor.roles,
    action,
    entity_type: entityType,
    entity_id: entityId,
    before,
    after,
    request_id: requestId,
    source_ip: sourceIp,
    user_agent: userAgent,
  };
}

function auditWrite(batches: ReadonlyArray<{ caller: Caller; entries: readonly AuditEntry[] }>): FinalWrite | null {
  const events = batches.flatMap(({ caller, entries }) => entries.map((entry) => appendableEvent(caller, entry)));
  if (events.length === 0) return null;
  return { sql: sql`audit_append(${JSON.stringify(events)}::jsonb)` };
}

/**
 * Takes the tenant's audit-chain lock now rather than at the end of the transaction (tests and
 * tools that need every writer of the tenant to wait; the dispatch engine no longer uses it).
 */
export async function holdAuditChain(tx: TenantTx): Promise<void> {
  await sql`select last_sequence from audit_chain where id for update`.execute(tx);
}
