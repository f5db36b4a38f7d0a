import type { Kysely } from 'kysely';
import type { AuditEvent, AuditExportQuery } from '@yardmaster/contracts';
import { csvField } from '../../platform/csv.js';
import { withTenant, type ControlTables } from '../../platform/db/index.js';
import { canonicalJson, type JsonValue } from './audit.hash.js';
import { auditEventOf, selectAuditEvents, selectChainHead } from './audit.repo.js';
import { checkFilter } from './audit.service.js';

const EXPORT_BATCH = 1000;

export const CSV_COLUMNS = [
  'sequence',
  'occurred_at',
  'actor_kind',
  'actor_subject',
  'actor_name',
  'actor_roles',
  'action',
  'entity_type',
  'entity_id',
  'before',
  'after',
  'request_id',
  'source_ip',
  'user_agent',
  'prev_hash',
  'hash',
] as const;

const json = (value: Record<string, unknown> | null): string | null => (value === null ? null : canonicalJson(value as JsonValue));

export function csvLine(event: AuditEvent): string {
  return `${[
    event.sequence,
    event.occurredAt,
    event.actor.kind,
    event.actor.subject,
    event.actor.name,
    event.actor.roles.join(' '),
    event.action,
    event.entityType,
    event.entityId,
    json(event.before),
    json(event.after),
    event.requestId,
    event.sourceIp,
    event.userAgent,
    event.prevHash,
    event.hash,
  ]
    .map(csvField)
    .join(',')}\r\n`;
}

export const jsonLine = (event: AuditEvent): string => `${JSON.stringify(event)}\n`;

/**
 * The export as a stream of text chunks (one per batch), oldest first. Validates the query and
 * reads the chain head before returning, so a bad request fails before any byte is sent. The upper
 * bound is that head, so the range is a consistent snapshot (events commit in sequence order)
 * although each batch is its own short transaction: memory stays one batch, and no connection is
 * held while the client reads.
 */
export async function openAuditExport(
  db: Kysely<ControlTables>,
  tenantSlug: string,
  query: AuditExportQuery,
): Promise<AsyncGenerator<string>> {
  const { format, ...filter } = query;
  checkFilter(filter);
  const head = await withTenant(db, tenantSlug, selectChainHead);
  const line = format === 'csv' ? csvLine : jsonLine;
  return (async function* batches(): AsyncGenerator<string> {
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
    let after = 0;
    for (;;) {
      const rows = await withTenant(db, tenantSlug, (tx) =>
        selectAuditEvents(tx, filter, { order: 'asc', after, limit: EXPORT_BATCH, upTo: head.sequence }),
      );
      if (rows.length === 0) return;
      yield rows.map((row) => line(auditEventOf(row))).join('');
      if (rows.length < EXPORT_BATCH) return;
      after = Number(rows[rows.length - 1]?.sequence);
    }
  })();
}
