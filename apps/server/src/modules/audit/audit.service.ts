import type { Kysely } from 'kysely';
import type { AuditEvent, AuditFilter, AuditListQuery, AuditPage, AuditVerifyResult } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { withTenant, type ControlTables, type TenantTx } from '../../platform/db/index.js';
import { validationFailed } from '../../platform/errors.js';
import { GENESIS_HASH, hashEvent, isRegisteredPseudonym, keyedHash, personalValueAt, sealPersonal } from './audit.hash.js';
import {
  auditEventOf,
  hashedContentOf,
  selectAuditEvents,
  selectAuditKey,
  selectChainHead,
  selectChainSlice,
  selectPseudonyms,
} from './audit.repo.js';

const CURSOR = /^[0-9]{1,15}$/;

function cursorOf(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!CURSOR.test(cursor)) throw validationFailed('invalid cursor', [{ field: 'cursor', message: 'not a cursor this API returned' }]);
  return Number(cursor);
}

export function checkFilter(filter: AuditFilter): void {
  if (filter.from !== undefined && filter.to !== undefined && new Date(filter.from) >= new Date(filter.to)) {
    throw validationFailed('the time range is empty', [{ field: 'to', message: 'must be after from' }]);
  }
}

async function page(
  tx: TenantTx,
  filter: AuditFilter,
  order: 'asc' | 'desc',
  limit: number,
  cursor: string | undefined,
): Promise<AuditPage> {
  checkFilter(filter);
  const rows = await selectAuditEvents(tx, filter, { order, after: cursorOf(cursor), limit: limit + 1 });
  const items = rows.slice(0, limit).map(auditEventOf);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? String(last.sequence) : null };
}

/** GET /api/v1/audit: filtered, keyset-paginated by sequence. */
export async function listAudit(tx: TenantTx, _caller: Caller, query: AuditListQuery): Promise<AuditPage> {
  const { limit, cursor, order, ...filter } = query;
  return page(tx, filter, order, limit, cursor);
}

/** One entity's history, oldest first by default. */
export async function entityHistory(
  tx: TenantTx,
  _caller: Caller,
  input: { entityType: string; entityId: string; limit: number; cursor?: string | undefined; order: 'asc' | 'desc' },
): Promise<AuditPage> {
  return page(tx, { entityType: input.entityType, entityId: input.entityId }, input.order, input.limit, input.cursor);
}

/**
 * Every event matching `filter`, oldest first (read in batches), optionally only those after a
 * sequence (take `auditHead` before an action, list what it left after). For tests and small reads
 * inside a transaction; use the export for large ranges.
 */
export async function listAuditEvents(
  tx: TenantTx,
  filter: AuditFilter = {},
  options: { afterSequence?: number } = {},
): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for (let after = options.afterSequence; ;) {
    const rows = await selectAuditEvents(tx, filter, { order: 'asc', after, limit: 1000 });
    out.push(...rows.map(auditEventOf));
    const last = rows.at(-1);
    if (!last || rows.length < 1000) return out;
    after = Number(last.sequence);
  }
}

/** The chain head: the last committed sequence and its hash (0 and the genesis hash when empty). */
export async function auditHead(tx: TenantTx): Promise<{ sequence: number; hash: string }> {
  return selectChainHead(tx);
}

const VERIFY_BATCH = 2000;

/**
 * Re-walks the tenant's chain from the first event to the head as it stood when verification
 * began, one short transaction per batch (no connection held for the whole walk). Checks, per
 * event: the sequence follows its predecessor, `prev_hash` equals the predecessor's hash, the
 * recomputed hash equals the stored one; finally the head's hash equals the last event's.
 * Events with keyed hashes of personal fields (hash version 2, decision 0012): the hash is
 * recomputed over the stored keyed hashes, and each personal value must still match its keyed
 * hash (tenant key) or be a pseudonym that an erasure registered (`personal` check).
 */
export async function verifyAuditChain(db: Kysely<ControlTables>, tenantSlug: string): Promise<AuditVerifyResult> {
  const { head, key } = await withTenant(db, tenantSlug, async (tx) => ({
    head: await selectChainHead(tx),
    key: await selectAuditKey(tx),
  }));
  let expectedSequence = 1;
  let prevHash = GENESIS_HASH;
  const broken = (
    sequence: number,
    check: 'sequence' | 'prevHash' | 'hash' | 'head' | 'personal',
    expected: string,
    found: string,
  ): AuditVerifyResult => ({
    ok: false,
    checked: expectedSequence - 1,
    headSequence: head.sequence,
    headHash: head.hash,
    firstBroken: { sequence, check, expected, found },
  });
  while (expectedSequence <= head.sequence) {
    // Pseudonyms are read with each batch: an erasure that commits during the walk is then known.
    const { rows, pseudonyms } = await withTenant(db, tenantSlug, async (tx) => ({
      rows: await selectChainSlice(tx, expectedSequence - 1, head.sequence, VERIFY_BATCH),
      pseudonyms: await selectPseudonyms(tx),
    }));
    if (rows.length === 0) return broken(expectedSequence, 'sequence', String(expectedSequence), 'no event');
    for (const row of rows) {
      const sequence = Number(row.sequence);
      if (sequence !== expectedSequence) return broken(expectedSequence, 'sequence', String(expectedSequence), String(sequence));
      if (row.prev_hash !== prevHash) return broken(sequence, 'prevHash', prevHash, row.prev_hash);
      const content = hashedContentOf(row);
      const recomputed = hashEvent(row.personal ? sealPersonal(content, row.personal) : content);
      if (recomputed !== row.hash) return broken(sequence, 'hash', recomputed, row.hash);
      for (const [path, digest] of Object.entries(row.personal ?? {})) {
        const value = personalValueAt(content, path);
        if (value === undefined || (keyedHash(key, value) !== digest && !isRegisteredPseudonym(value, pseudonyms)))
          return broken(sequence, 'personal', `${path} with keyed hash ${digest} or a registered pseudonym`, `${path} matching neither`);
      }
      prevHash = row.hash;
      expectedSequence += 1;
    }
  }
  if (prevHash !== head.hash) return broken(head.sequence, 'head', prevHash, head.hash);
  return { ok: true, checked: head.sequence, headSequence: head.sequence, headHash: head.hash, firstBroken: null };
}
