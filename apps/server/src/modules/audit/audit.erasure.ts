import { sql } from 'kysely';
import type { TenantTx } from '../../platform/db/index.js';
import { PSEUDONYM, pseudonymEmail, replacePersonal, type JsonValue } from './audit.hash.js';
import { insertErasure, selectPersonEvents, updatePersonalFields, type PersonalFieldsUpdate } from './audit.repo.js';

export type AuditPerson = {
  /** Their OIDC subject: events they performed get the pseudonym as actor name. */
  subject: string | null;
  /** Their own records (membership, driver…): every personal field of these entities' events is theirs. */
  entities: ReadonlyArray<{ type: string; id: string }>;
};

const BATCH = 1000;

/**
 * The record with the person's personal values replaced: every one of them in an event about
 * their own records (`isOwn`), otherwise those in an object naming them by `subject` (such as
 * `createdBy: { name, subject }`). Only paths the event's keyed hashes cover are touched.
 */
function pseudonymised(
  side: 'before' | 'after',
  record: Record<string, unknown> | null,
  digests: Readonly<Record<string, string>>,
  person: AuditPerson,
  isOwn: boolean,
  pseudonym: string,
): { record: Record<string, JsonValue> | null; changed: boolean } {
  let changed = false;
  const out = replacePersonal(side, record as Record<string, JsonValue> | null, (path, value, parent) => {
    const key = path.slice(path.lastIndexOf('/') + 1);
    const theirs = isOwn || (person.subject !== null && parent.subject === person.subject);
    if (!theirs || !Object.hasOwn(digests, path)) return value;
    changed = true;
    return /email/i.test(key) ? pseudonymEmail(pseudonym) : pseudonym;
  });
  return { record: out, changed };
}

/**
 * Erasure in the audit trail (decision 0012), in the caller's transaction: registers the pseudonym,
 * then in every keyed-hash event (hash version 2) the person performed the actor name becomes the
 * pseudonym, and in every event about one of their own records each personal field (names,
 * e-mails, phones: the event's `personal` paths) does. Hashes, keyed hashes and everything else
 * stay as written, so the chain still verifies; the database lets exactly this kind of change
 * through and only for a registered pseudonym. Events written before keyed hashing (version 1)
 * are kept as they are: their hash covers the values themselves.
 */
export async function pseudonymiseAuditTrail(
  tx: TenantTx,
  person: AuditPerson,
  pseudonym: string,
): Promise<{ pseudonymised: number; legacyKept: number }> {
  if (!PSEUDONYM.test(pseudonym)) throw new Error(`audit: "${pseudonym}" is not a pseudonym`);
  await insertErasure(tx, pseudonym);
  await sql`select set_config('ym.audit_pseudonym', ${pseudonym}, true)`.execute(tx);
  const ownEntity = new Set(person.entities.map((e) => `${e.type}\u0000${e.id}`));
  let pseudonymisedCount = 0;
  let legacyKept = 0;
  for (let cursor = 0; ;) {
    const rows = await selectPersonEvents(tx, person, cursor, BATCH);
    const updates: PersonalFieldsUpdate[] = [];
    for (const row of rows) {
      if (row.personal === null) {
        legacyKept += 1;
        continue;
      }
      const isActor = person.subject !== null && row.actor_subject === person.subject && Object.hasOwn(row.personal, 'actor/name');
      const isOwn = ownEntity.has(`${row.entity_type}\u0000${row.entity_id}`);
      const before = pseudonymised('before', row.before, row.personal, person, isOwn, pseudonym);
      const after = pseudonymised('after', row.after, row.personal, person, isOwn, pseudonym);
      if (isActor || before.changed || after.changed)
        updates.push({
          sequence: Number(row.sequence),
          actor_name: isActor ? pseudonym : row.actor_name,
          before: before.record,
          after: after.record,
        });
    }
    if (updates.length > 0) pseudonymisedCount += await updatePersonalFields(tx, updates);
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) break;
    cursor = Number(last.sequence);
  }
  await sql`select set_config('ym.audit_pseudonym', '', true)`.execute(tx);
  return { pseudonymised: pseudonymisedCount, legacyKept };
}
