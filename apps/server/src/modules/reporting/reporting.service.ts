import type {
  ReportDurations,
  ReportListQuery,
  ReportNote,
  ReportNoteBody,
  ReportPage,
  ReportSummary,
  StatusReport,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { notFound, validationFailed } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { findDriverBySubject } from '../people/index.js';
import { reportNumber } from './reporting.record.js';
import {
  insertNote,
  selectNotes,
  selectReportById,
  selectReports,
  type NoteRow,
  type ReportCursor,
  type ReportRow,
} from './reporting.repo.js';
import { assertMayActInRegion, assertMaySeeRegion, regionScopeOf } from '../regions/index.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const secondsBetween = (from: Date | null, to: Date | null): number | null =>
  from && to ? Math.round((to.getTime() - from.getTime()) / 1000) : null;

/** Total and per-phase durations (seconds) from the report's own timestamps. */
export function durationsOf(
  r: Pick<ReportRow, 'created_at' | 'queued_at' | 'dispatched_at' | 'en_route_at' | 'on_site_at' | 'returning_at' | 'finished_at'>,
): ReportDurations {
  return {
    total: secondsBetween(r.created_at, r.finished_at),
    queueWait: secondsBetween(r.queued_at ?? r.created_at, r.dispatched_at),
    toDispatch: secondsBetween(r.created_at, r.dispatched_at),
    dispatchedToEnRoute: secondsBetween(r.dispatched_at, r.en_route_at),
    travelToSite: secondsBetween(r.en_route_at, r.on_site_at),
    toSite: secondsBetween(r.dispatched_at, r.on_site_at),
    onSite: r.on_site_at ? secondsBetween(r.on_site_at, r.returning_at ?? r.finished_at) : null,
    returning: secondsBetween(r.returning_at, r.returning_at ? r.finished_at : null),
    busy: secondsBetween(r.dispatched_at, r.finished_at),
  };
}

function toSummary(r: ReportRow): ReportSummary {
  return {
    id: r.id,
    number: reportNumber(r.number),
    dispatchId: r.dispatch_id,
    finalStatus: r.final_status as ReportSummary['finalStatus'],
    priority: r.priority as ReportSummary['priority'],
    workOrder: { id: r.work_order_id, number: r.work_order_number, description: r.work_order_description },
    site: { id: r.site_id, name: r.site_name, address: r.site_address },
    equipment: {
      id: r.equipment_id,
      assetTag: r.equipment_asset_tag,
      name: r.equipment_name,
      typeId: r.equipment_type_id,
      typeCode: r.equipment_type_code,
      typeName: r.equipment_type_name,
    },
    driver: { id: r.driver_id, name: r.driver_name },
    dispatcher: { kind: r.dispatcher_kind as 'user' | 'system', subject: r.dispatcher_subject, name: r.dispatcher_name },
    timestamps: {
      requestedAt: iso(r.requested_at),
      createdAt: r.created_at.toISOString(),
      queuedAt: iso(r.queued_at),
      dispatchedAt: r.dispatched_at.toISOString(),
      enRouteAt: iso(r.en_route_at),
      onSiteAt: iso(r.on_site_at),
      returningAt: iso(r.returning_at),
      completedAt: iso(r.completed_at),
      recalledAt: iso(r.recalled_at),
    },
    finishedAt: r.finished_at.toISOString(),
    durations: durationsOf(r),
    notes: r.notes,
    recallReason: r.recall_reason,
    generatedAt: r.generated_at.toISOString(),
    contentHash: r.content_hash,
    correctionCount: r.note_count,
  };
}

const toNote = (n: NoteRow): ReportNote => ({
  id: n.id,
  body: n.body,
  author: { subject: n.author_subject, name: n.author_name },
  createdAt: n.created_at.toISOString(),
});

const encodeCursor = (c: ReportCursor): string => Buffer.from(`${c.finishedAt}|${c.id}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): ReportCursor {
  const [finishedAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!finishedAt || !id || Number.isNaN(Date.parse(finishedAt)) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw validationFailed('invalid cursor', [{ field: 'cursor', message: 'not a cursor returned by this list' }]);
  }
  return { finishedAt, id };
}

/**
 * Which reports a caller may see: drivers only their own (the driver linked to their identity; none
 * when no driver is linked), every other role all of them.
 */
async function driverScope(tx: TenantTx, caller: Caller): Promise<{ onlyDriverId?: string; none?: boolean }> {
  if (caller.roles.some((r) => r === 'admin' || r === 'dispatcher' || r === 'viewer')) return {};
  if (!caller.roles.includes('driver')) return { none: true };
  const driver = await findDriverBySubject(tx, caller.subject);
  return driver ? { onlyDriverId: driver.id } : { none: true };
}

export async function listReports(tx: TenantTx, caller: Caller, query: ReportListQuery): Promise<ReportPage> {
  const scope = await driverScope(tx, caller);
  if (scope.none) return { items: [], nextCursor: null };
  const { limit, cursor, ...filter } = query;
  const rows = await selectReports(
    tx,
    { ...filter, onlyDriverId: scope.onlyDriverId, caller },
    cursor ? decodeCursor(cursor) : null,
    limit + 1,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toSummary),
    nextCursor: rows.length > limit && last ? encodeCursor({ finishedAt: last.finished_at.toISOString(), id: last.id }) : null,
  };
}

/** One report with its correction notes; 404 (not 403) for a driver asking for someone else's. */
export async function getReport(tx: TenantTx, caller: Caller, id: string): Promise<StatusReport> {
  const scope = await driverScope(tx, caller);
  const row = await selectReportById(tx, id);
  if (!row || scope.none || (scope.onlyDriverId && row.driver_id !== scope.onlyDriverId)) throw notFound('status report', id);
  if (row.site_id && regionScopeOf(caller) !== null) assertMaySeeRegion(caller, await siteRegionOf(tx, row.site_id), 'status report', id);
  const { correctionCount: _count, ...summary } = toSummary(row);
  return { ...summary, corrections: (await selectNotes(tx, id)).map(toNote) };
}

/** Appends a correction note (the report itself never changes) and audits it. */
export async function addReportNote(tx: TenantTx, caller: Caller, input: { id: string } & ReportNoteBody): Promise<ReportNote> {
  const row = await selectReportById(tx, input.id);
  if (!row) throw notFound('status report', input.id);
  if (row.site_id && regionScopeOf(caller) !== null)
    assertMayActInRegion(caller, await siteRegionOf(tx, row.site_id), 'this status report');
  const note = await insertNote(tx, { reportId: input.id, body: input.body, authorSubject: caller.subject, authorName: caller.name });
  await recordAudit(tx, caller, {
    action: 'status_report.note_added',
    entityType: 'status_report',
    entityId: input.id,
    after: { noteId: note.id, body: note.body },
  });
  return toNote(note);
}

/** The region of a report's site (reports keep the site id; regions belong to sites). */
async function siteRegionOf(tx: TenantTx, siteId: string): Promise<string | null> {
  return (await tx.selectFrom('sites').select('region').where('id', '=', siteId).executeTakeFirst())?.region ?? null;
}
