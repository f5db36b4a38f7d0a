import { sql } from 'kysely';
import type { TenantTx } from '../../platform/db/index.js';
import { PSEUDONYM, pseudonymEmail, type JsonValue } from './audit.hash.js';
import { insertErasure, selectPersonEvents, updatePersonalFields, type PersonalFieldsUpdate } from './audit.repo.js';

export type AuditPerson = {
  /** Their OIDC subject: events they performed get the pseudonym as actor name. */
  subject: string | null;
  /** Their own records (membership, driver…): every personal field of these entities' events is theirs. */
  entities: ReadonlyArray<{ type: string; id: string }>;
};

const BATCH = 1000;

function pseudonymised(
  record: Record<string, unknown> | null,
  side: 'before' | 'after',
  digests: Readonly<Record<string, string>>,
  pseudonym: string,
): Record<string, JsonValue> | null {
  if (!record) return null;
  const out = { ...(record as Record<string, JsonValue>) };
  for (const path of Object.keys(digests)) {
    if (!path.startsWith(`${side}.`)) continue;
    const key = path.slice(side.length + 1);
    if (Object.hasOwn(out, key)) out[key] = /email/i.test(key) ? pseudonymEmail(pseudonym) : pseudonym;
  }
  return out;
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
  for (let after = 0; ;) {
    const rows = await selectPersonEvents(tx, person, after, BATCH);
    const updates: PersonalFieldsUpdate[] = [];
    for (const row of rows) {
      if (row.personal === null) {
        legacyKept += 1;
        continue;
      }
      const isActor = person.subject !== null && row.actor_subject === person.subject && Object.hasOwn(row.personal, 'actor.name');
      const isOwn = ownEntity.has(`${row.entity_type}\u0000${row.entity_id}`);
      const update: PersonalFieldsUpdate = {
        sequence: Number(row.sequence),
        actor_name: isActor ? pseudonym : row.actor_name,
        before: isOwn ? pseudonymised(row.before, 'before', row.personal, pseudonym) : (row.before as Record<string, JsonValue> | null),
        after: isOwn ? pseudonymised(row.after, 'after', row.personal, pseudonym) : (row.after as Record<string, JsonValue> | null),
      };
      if (isActor || isOwn) updates.push(update);
    }
    if (updates.length > 0) pseudonymisedCount += await updatePersonalFields(tx, updates);
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) break;
    after = Number(last.sequence);
  }
  await sql`select set_config('ym.audit_pseudonym', '', true)`.execute(tx);
  return { pseudonymised: pseudonymisedCount, legacyKept };
}
