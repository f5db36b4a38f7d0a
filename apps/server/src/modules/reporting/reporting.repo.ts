import { sql, type Selectable } from 'kysely';
import type { ReportListQuery } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import type { StatusReportNotesTable, StatusReportsTable } from './reporting.tables.js';
import './reporting.tables.js';
import { siteVisibleSql, type RegionSubject } from '../regions/index.js';

export type ReportRow = Selectable<StatusReportsTable> & { note_count: number };
export type NoteRow = Selectable<StatusReportNotesTable>;

export type ReportCursor = { finishedAt: string; id: string };

/** select … from status_reports where <filters> and (finished_at, id) < cursor order by finished_at desc, id desc limit n */
export async function selectReports(
  tx: TenantTx,
  filter: Omit<ReportListQuery, 'limit' | 'cursor'> & { onlyDriverId?: string; caller: RegionSubject },
  cursor: ReportCursor | null,
  limit: number,
): Promise<ReportRow[]> {
  let q = tx
    .selectFrom('status_reports as r')
    .selectAll('r')
    .select(sql<number>`(select count(*) from status_report_notes n where n.report_id = r.id)::int`.as('note_count'))
    .where(siteVisibleSql(filter.caller, 'r.site_id'));
  if (filter.from) q = q.where('r.finished_at', '>=', filter.from as never);
  if (filter.to) q = q.where('r.finished_at', '<', filter.to as never);
  if (filter.workOrderId) q = q.where('r.work_order_id', '=', filter.workOrderId as never);
  if (filter.workOrderNumber) q = q.where('r.work_order_number', '=', filter.workOrderNumber as never);
  if (filter.driverId) q = q.where('r.driver_id', '=', filter.driverId as never);
  if (filter.onlyDriverId) q = q.where('r.driver_id', '=', filter.onlyDriverId as never);
  if (filter.equipmentId) q = q.where('r.equipment_id', '=', filter.equipmentId as never);
  if (filter.siteId) q = q.where('r.site_id', '=', filter.siteId as never);
  if (filter.status) q = q.where('r.final_status', '=', filter.status as never);
  if (cursor) q = q.where(sql<boolean>`(r.finished_at, r.id) < (${cursor.finishedAt}::timestamptz, ${cursor.id}::uuid)`);
  return q.orderBy('r.finished_at', 'desc').orderBy('r.id', 'desc').limit(limit).execute();
}

/** select * from status_reports where id = $1 */
export async function selectReportById(tx: TenantTx, id: string): Promise<ReportRow | undefined> {
  return tx
    .selectFrom('status_reports as r')
    .selectAll('r')
    .select(sql<number>`(select count(*) from status_report_notes n where n.report_id = r.id)::int`.as('note_count'))
    .where('r.id', '=', id as never)
    .executeTakeFirst();
}

/** select * from status_report_notes where report_id = $1 order by created_at, id */
export async function selectNotes(tx: TenantTx, reportId: string): Promise<NoteRow[]> {
  return tx
    .selectFrom('status_report_notes')
    .selectAll()
    .where('report_id', '=', reportId as never)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** insert into status_report_notes … returning * */
export async function insertNote(
  tx: TenantTx,
  note: { reportId: string; body: string; authorSubject: string; authorName: string },
): Promise<NoteRow> {
  return tx
    .insertInto('status_report_notes')
    .values({ report_id: note.reportId, body: note.body, author_subject: note.authorSubject, author_name: note.authorName })
    .returningAll()
    .executeTakeFirstOrThrow();
}
