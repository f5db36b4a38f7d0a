import { sql, type RawBuilder } from 'kysely';
import { createHash } from 'node:crypto';
import type { FieldError, StatusReportSnapshot, TimestampInput } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { unprocessable } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { rollupCtes } from './reporting.rollup.js';
import './reporting.tables.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Canonical JSON: object keys sorted, no whitespace — the input of the content hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The report body whose hash is stored with it (and printed in the PDF footer). */
export type ReportBody = {
  dispatchId: string;
  finalStatus: string;
  priority: string;
  workOrder: { id: string; number: string; description: string | null };
  site: { id: string; name: string; address: string | null };
  equipment: { id: string; assetTag: string; name: string; typeId: string; typeCode: string; typeName: string };
  driver: { id: string; name: string };
  dispatcher: { kind: string; subject: string; name: string };
  timestamps: Record<
    'requestedAt' | 'createdAt' | 'queuedAt' | 'dispatchedAt' | 'enRouteAt' | 'onSiteAt' | 'returningAt' | 'completedAt' | 'recalledAt',
    string | null
  >;
  notes: string | null;
  recallReason: string | null;
};

export const contentHashOf = (body: ReportBody): string => sha256(canonicalJson(body));

function normalise(snapshot: StatusReportSnapshot): ReportBody {
  const errors: FieldError[] = [];
  const need = (path: string, value: unknown, uuid = false): void => {
    if (typeof value !== 'string' || value.trim() === '' || (uuid && !UUID.test(value)))
      errors.push({ field: path, message: uuid ? 'must be a UUID' : 'required' });
  };
  const time = (path: string, value: TimestampInput | null | undefined, required = false): string | null => {
    if (value === null || value === undefined) {
      if (required) errors.push({ field: path, message: 'required' });
      return null;
    }
    const d = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(d.getTime())) {
      errors.push({ field: path, message: 'not a valid timestamp' });
      return null;
    }
    return d.toISOString();
  };
  const s = snapshot;
  need('dispatchId', s.dispatchId, true);
  need('workOrder.id', s.workOrder?.id, true);
  need('workOrder.number', s.workOrder?.number);
  need('site.id', s.site?.id, true);
  need('site.name', s.site?.name);
  need('equipment.id', s.equipment?.id, true);
  need('equipment.assetTag', s.equipment?.assetTag);
  need('equipment.name', s.equipment?.name);
  need('equipment.typeId', s.equipment?.typeId, true);
  need('equipment.typeCode', s.equipment?.typeCode);
  need('equipment.typeName', s.equipment?.typeName);
  need('driver.id', s.driver?.id, true);
  need('driver.name', s.driver?.name);
  need('dispatcher.subject', s.dispatcher?.subject);
  need('dispatcher.name', s.dispatcher?.name);
  if (!['user', 'system'].includes(s.dispatcher?.kind)) errors.push({ field: 'dispatcher.kind', message: "must be 'user' or 'system'" });
  if (!['urgent', 'standard', 'low'].includes(s.priority)) errors.push({ field: 'priority', message: 'must be urgent, standard or low' });
  if (!['completed', 'recalled'].includes(s.finalStatus)) errors.push({ field: 'finalStatus', message: 'must be completed or recalled' });
  const t = s.timestamps ?? ({} as StatusReportSnapshot['timestamps']);
  const timestamps = {
    requestedAt: time('timestamps.requestedAt', t.requestedAt),
    createdAt: time('timestamps.createdAt', t.createdAt, true),
    queuedAt: time('timestamps.queuedAt', t.queuedAt),
    dispatchedAt: time('timestamps.dispatchedAt', t.dispatchedAt, true),
    enRouteAt: time('timestamps.enRouteAt', t.enRouteAt),
    onSiteAt: time('timestamps.onSiteAt', t.onSiteAt),
    returningAt: time('timestamps.returningAt', t.returningAt),
    completedAt: time('timestamps.completedAt', t.completedAt, s.finalStatus === 'completed'),
    recalledAt: time('timestamps.recalledAt', t.recalledAt, s.finalStatus === 'recalled'),
  };
  if (s.finalStatus === 'completed' && timestamps.recalledAt)
    errors.push({ field: 'timestamps.recalledAt', message: 'a completed dispatch has no recall time' });
  if (s.finalStatus === 'recalled' && timestamps.completedAt)
    errors.push({ field: 'timestamps.completedAt', message: 'a recalled dispatch has no completion time' });
  const finished = timestamps.completedAt ?? timestamps.recalledAt;
  if (timestamps.createdAt && timestamps.dispatchedAt && timestamps.dispatchedAt < timestamps.createdAt) {
    errors.push({ field: 'timestamps.dispatchedAt', message: 'before the dispatch was created' });
  }
  if (finished && timestamps.dispatchedAt && finished < timestamps.dispatchedAt)
    errors.push({ field: 'timestamps', message: 'finished before it was dispatched' });
  if (errors.length > 0) throw unprocessable('invalid-status-report', 'the status report snapshot is incomplete or inconsistent', errors);
  return {
    dispatchId: s.dispatchId,
    finalStatus: s.finalStatus,
    priority: s.priority,
    workOrder: { id: s.workOrder.id, number: s.workOrder.number, description: s.workOrder.description ?? null },
    site: { id: s.site.id, name: s.site.name, address: s.site.address ?? null },
    equipment: {
      id: s.equipment.id,
      assetTag: s.equipment.assetTag,
      name: s.equipment.name,
      typeId: s.equipment.typeId,
      typeCode: s.equipment.typeCode,
      typeName: s.equipment.typeName,
    },
    driver: { id: s.driver.id, name: s.driver.name },
    dispatcher: { kind: s.dispatcher.kind, subject: s.dispatcher.subject, name: s.dispatcher.name },
    timestamps,
    notes: s.notes ?? null,
    recallReason: s.recallReason ?? null,
  };
}

/**
 * The door the dispatch module calls when a dispatch finishes (completed or recalled), inside the
 * finishing transaction: stores the immutable report and audits it. A second call for the same
 * dispatch returns the existing report (idempotent), so a retried finish cannot fail on it.
 */
export async function recordStatusReport(
  tx: TenantTx,
  caller: Caller,
  snapshot: StatusReportSnapshot,
  /** `alongside`: CTEs of the caller's, run by the same statement (the dispatch module frees the machine and driver there): one round trip. */
  options: { alongside?: RawBuilder<unknown> } = {},
): Promise<{ id: string }> {
  const { alongside } = options;
  const body = normalise(snapshot);
  const contentHash = contentHashOf(body);
  const t = body.timestamps;
  const values: Record<string, unknown> = {
    dispatch_id: body.dispatchId,
    final_status: body.finalStatus,
    priority: body.priority,
    work_order_id: body.workOrder.id,
    work_order_number: body.workOrder.number,
    work_order_description: body.workOrder.description,
    site_id: body.site.id,
    site_name: body.site.name,
    site_address: body.site.address,
    equipment_id: body.equipment.id,
    equipment_asset_tag: body.equipment.assetTag,
    equipment_name: body.equipment.name,
    equipment_type_id: body.equipment.typeId,
    equipment_type_code: body.equipment.typeCode,
    equipment_type_name: body.equipment.typeName,
    driver_id: body.driver.id,
    driver_name: body.driver.name,
    dispatcher_kind: body.dispatcher.kind,
    dispatcher_subject: body.dispatcher.subject,
    dispatcher_name: body.dispatcher.name,
    requested_at: t.requestedAt,
    created_at: t.createdAt,
    queued_at: t.queuedAt,
    dispatched_at: t.dispatchedAt,
    en_route_at: t.enRouteAt,
    on_site_at: t.onSiteAt,
    returning_at: t.returningAt,
    completed_at: t.completedAt,
    recalled_at: t.recalledAt,
    finished_at: t.completedAt ?? t.recalledAt,
    notes: body.notes,
    recall_reason: body.recallReason,
    content_hash: contentHash,
  };
  // The report and its roll-up in one round trip: the roll-up reads the inserted row (none when the
  // report already existed). Roll-up rows are locked by this one statement, always the same, before
  // the transaction's final write takes the audit chain (lock order: roll-up, then audit).
  const columns = Object.keys(values);
  const { rows } = await sql<{ id: string; number: number }>`
    with ${alongside ? sql`${alongside},` : sql``} inserted as (
      insert into status_reports (${sql.join(columns.map((c) => sql.id(c)))})
      values (${sql.join(columns.map((c) => values[c]))})
      on conflict (dispatch_id) do nothing
      returning *
    ),
    ${rollupCtes(sql`true`, sql`inserted`)}
    select id, number from inserted`.execute(tx);
  const inserted = rows[0];
  if (!inserted) {
    const existing = await tx
      .selectFrom('status_reports')
      .select('id')
      .where('dispatch_id', '=', body.dispatchId)
      .executeTakeFirstOrThrow();
    return { id: existing.id };
  }
  await recordAudit(tx, caller, {
    action: 'status_report.created',
    entityType: 'status_report',
    entityId: inserted.id,
    after: { number: reportNumber(inserted.number), dispatchId: body.dispatchId, finalStatus: body.finalStatus, contentHash },
  });
  return { id: inserted.id };
}

export const reportNumber = (n: number): string => `SR-${String(n).padStart(6, '0')}`;
