import { sql } from 'kysely';
import * as rrulePackage from 'rrule';
import type { CreateRecurringWorkOrder, EditOccurrence, Occurrence, PlanningSettings, RecurringWorkOrder } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { cancelDispatch, createWorkOrder, getWorkOrder } from '../dispatch/index.js';
import { invalidPlan } from './planning.errors.js';
import { instantToWallTime, wallTimeToInstant } from './zone.js';
import './planning.tables.js';

// rrule ships CommonJS: Node's ESM loader exposes it as the default export, bundlers as named ones.
const { RRule } = (rrulePackage as unknown as { default?: typeof rrulePackage }).default ?? rrulePackage;

type Template = CreateRecurringWorkOrder['workOrder'];
type SeriesRow = {
  id: string;
  rule: string;
  local_start: string;
  until_local: string | null;
  template: Template;
  ended_at: Date | null;
  parent_id: string | null;
  version: number;
};
type OccurrenceRow = {
  id: string;
  series_id: string;
  local_start: string;
  starts_at: Date;
  status: Occurrence['status'];
  work_order_id: string | null;
  skipped_reason: string | null;
};

/** A local wall-clock time as a "floating" Date (its UTC fields hold the wall-clock time), the way rrule reads zone-less rules. */
const floating = (local: string): Date => new Date(`${local}:00Z`);
const wallOf = (d: Date): string => new Date(d).toISOString().slice(0, 16);

/**
 * The rule's occurrences (local wall-clock times) within [fromLocal, toLocal]. The rule is read
 * without a zone and each occurrence is placed in the planning zone afterwards, so 07:00 stays
 * 07:00 local across daylight-saving changes. Bad rules answer 422 on `field`.
 */
function occurrencesOf(
  rule: string,
  localStart: string,
  fromLocal: string,
  toLocal: string,
  untilLocal: string | null,
  field: string,
  cap: number,
): string[] {
  if (/DTSTART|TZID/i.test(rule))
    throw invalidPlan(field, "give the rule without DTSTART or TZID: the start is localStart, the zone is the tenant's");
  let parsed: InstanceType<typeof RRule>;
  try {
    const options = RRule.parseString(rule.replace(/^RRULE:/i, ''));
    parsed = new RRule({ ...options, dtstart: floating(localStart) });
  } catch (error) {
    throw invalidPlan(field, `not an RFC 5545 RRULE (${error instanceof Error ? error.message : String(error)})`);
  }
  const out: string[] = [];
  // Stop early past the cap (an hourly rule over a year would be 8,760 dates).
  parsed.between(floating(fromLocal), floating(toLocal), true, (date: Date) => {
    const wall = wallOf(date);
    if (untilLocal !== null && wall >= untilLocal) return false;
    out.push(wall);
    return out.length <= cap;
  });
  return out;
}

function seriesView(row: SeriesRow, occurrences: readonly OccurrenceRow[]): RecurringWorkOrder {
  return {
    id: row.id,
    rule: row.rule,
    localStart: row.local_start,
    description: row.template.description,
    priority: row.template.priority,
    siteId: row.template.siteId,
    ended: row.ended_at !== null,
    parentId: row.parent_id,
    version: row.version,
    occurrences: occurrences.map((o) => ({
      id: o.id,
      seriesId: o.series_id,
      localStart: o.local_start,
      startsAt: new Date(o.starts_at).toISOString(),
      status: o.status,
      workOrderId: o.work_order_id,
      skippedReason: o.skipped_reason,
    })),
  };
}

/** Local timestamps are read as text ('YYYY-MM-DDTHH:MM'): node-postgres would read them in the server process's zone. */
const localText = (column: string) => sql`to_char(${sql.ref(column)}, 'YYYY-MM-DD"T"HH24:MI')`;
const SERIES_COLUMNS = sql`id, rule, ${localText('local_start')} as local_start, ${localText('until_local')} as until_local, template, ended_at, parent_id, version`;

async function selectSeries(tx: TenantTx, id: string, lock = false): Promise<SeriesRow | undefined> {
  const { rows } =
    await sql<SeriesRow>`select ${SERIES_COLUMNS} from recurring_work_orders where id = ${id} ${lock ? sql`for update` : sql``}`.execute(
      tx,
    );
  return rows[0];
}

async function selectOccurrences(tx: TenantTx, seriesId: string): Promise<OccurrenceRow[]> {
  const { rows } =
    await sql<OccurrenceRow>`select id, series_id, ${localText('local_start')} as local_start, starts_at, status, work_order_id, skipped_reason from recurrence_occurrences where series_id = ${seriesId} order by local_start`.execute(
      tx,
    );
  return rows;
}

/**
 * Creates the work orders of a series' occurrences from now to the horizon that do not exist yet
 * (an occurrence that was skipped or moved keeps its row, so it is never created again).
 */
export async function materializeSeries(
  tx: TenantTx,
  caller: Caller,
  series: SeriesRow,
  settings: PlanningSettings,
  now = new Date(),
): Promise<number> {
  if (series.ended_at !== null) return 0;
  const zone = settings.timeZone;
  const fromLocal = instantToWallTime(now, zone);
  const toLocal = instantToWallTime(new Date(now.getTime() + settings.horizonDays * 86_400_000), zone);
  const wanted = occurrencesOf(
    series.rule,
    series.local_start,
    fromLocal,
    toLocal,
    series.until_local,
    'rule',
    settings.maxOccurrencesPerSeries,
  );
  const existing = new Set((await selectOccurrences(tx, series.id)).map((o) => o.local_start));
  let created = 0;
  for (const local of wanted) {
    if (existing.has(local)) continue;
    const startsAt = wallTimeToInstant(local, zone);
    if (startsAt.getTime() < now.getTime()) continue;
    const workOrder = await createWorkOrder(tx, caller, { ...series.template, requestedStart: startsAt.toISOString(), dueAt: null }, now);
    await tx
      .insertInto('recurrence_occurrences')
      .values({ series_id: series.id, local_start: local, starts_at: startsAt, status: 'created', work_order_id: workOrder.id })
      .execute();
    created++;
  }
  return created;
}

export async function createRecurringWorkOrder(
  tx: TenantTx,
  caller: Caller,
  input: CreateRecurringWorkOrder,
  settings: PlanningSettings,
  now = new Date(),
): Promise<RecurringWorkOrder> {
  if (Number.isNaN(Date.parse(`${input.localStart}:00Z`)) || wallOf(floating(input.localStart)) !== input.localStart)
    throw invalidPlan('localStart', 'not a real date and time');
  const horizonEnd = instantToWallTime(new Date(now.getTime() + settings.horizonDays * 86_400_000), settings.timeZone);
  const inHorizon = occurrencesOf(
    input.rule,
    input.localStart,
    input.localStart,
    horizonEnd,
    null,
    'rule',
    settings.maxOccurrencesPerSeries,
  );
  if (inHorizon.length > settings.maxOccurrencesPerSeries) {
    throw invalidPlan(
      'rule',
      `the rule makes more than ${settings.maxOccurrencesPerSeries} occurrences within the ${settings.horizonDays}-day horizon`,
    );
  }
  const row = await tx
    .insertInto('recurring_work_orders')
    .values({
      rule: input.rule.replace(/^RRULE:/i, ''),
      local_start: input.localStart,
      template: JSON.stringify(input.workOrder),
      created_by_subject: caller.subject,
      created_by_name: caller.name,
    })
    .returning(['id', 'rule', 'version'])
    .executeTakeFirstOrThrow();
  const series: SeriesRow = {
    id: row.id,
    rule: row.rule,
    local_start: input.localStart,
    until_local: null,
    template: input.workOrder,
    ended_at: null,
    parent_id: null,
    version: row.version,
  };
  await materializeSeries(tx, caller, series, settings, now);
  await recordAudit(tx, caller, {
    action: 'recurring_work_order.created',
    entityType: 'recurring_work_order',
    entityId: row.id,
    after: { rule: input.rule, localStart: input.localStart, description: input.workOrder.description },
  });
  return seriesView(series, await selectOccurrences(tx, row.id));
}

export async function getRecurringWorkOrder(tx: TenantTx, id: string): Promise<RecurringWorkOrder> {
  const row = await selectSeries(tx, id);
  if (!row) throw notFound('recurring work order', id);
  return seriesView(row, await selectOccurrences(tx, id));
}

export async function listRecurringWorkOrders(tx: TenantTx): Promise<RecurringWorkOrder[]> {
  const { rows } = await sql<SeriesRow>`select ${SERIES_COLUMNS} from recurring_work_orders order by created_at desc limit 200`.execute(tx);
  const out: RecurringWorkOrder[] = [];
  for (const row of rows) out.push(seriesView(row, await selectOccurrences(tx, row.id)));
  return out;
}

/** Cancels the (not yet started) dispatches of an occurrence's work order; one under way refuses (409). */
async function cancelOccurrenceWork(tx: TenantTx, caller: Caller, occurrence: OccurrenceRow, reason: string): Promise<void> {
  if (!occurrence.work_order_id) return;
  const workOrder = await getWorkOrder(tx, caller, occurrence.work_order_id);
  if (workOrder.status === 'cancelled') return;
  if (workOrder.status !== 'pending')
    throw conflict(`work order ${workOrder.number} is ${workOrder.status}: it can no longer be skipped or moved`, [
      { field: 'occurrenceId', message: `already ${workOrder.status}` },
    ]);
  for (const dispatchId of workOrder.dispatchIds) await cancelDispatch(tx, caller, dispatchId, undefined, reason);
}

/**
 * Calendar edits. "this" + skip: the occurrence's work is cancelled and the occurrence kept as
 * skipped, with its reason. "this" + change: its work moves to the new time (or text) and the
 * occurrence is detached from the rule. "following": the series ends before this occurrence (its
 * later occurrences are cancelled and kept as skipped); with "change", a new series (parent: this
 * one) takes over from this occurrence with the new rule, start or text.
 */
export async function editOccurrence(
  tx: TenantTx,
  caller: Caller,
  seriesId: string,
  occurrenceId: string,
  input: EditOccurrence,
  settings: PlanningSettings,
  now = new Date(),
): Promise<RecurringWorkOrder> {
  const series = await selectSeries(tx, seriesId, true);
  if (!series) throw notFound('recurring work order', seriesId);
  const occurrences = await selectOccurrences(tx, seriesId);
  const occurrence = occurrences.find((o) => o.id === occurrenceId);
  if (!occurrence) throw notFound('occurrence', occurrenceId);
  if (occurrence.status === 'skipped')
    throw conflict('this occurrence is already skipped', [{ field: 'occurrenceId', message: 'already skipped' }]);
  if (input.action === 'change' && !input.localStart && !input.rule && !input.description && !input.priority)
    throw invalidPlan('localStart', 'say what changes');
  if (input.localStart && wallOf(floating(input.localStart)) !== input.localStart)
    throw invalidPlan('localStart', 'not a real date and time');
  if (input.scope === 'this' && input.rule) throw invalidPlan('rule', 'a single occurrence has no rule: use scope "following"');
  const zone = settings.timeZone;

  if (input.scope === 'this') {
    if (input.action === 'skip') {
      await cancelOccurrenceWork(tx, caller, occurrence, input.reason ?? 'occurrence skipped');
      await tx
        .updateTable('recurrence_occurrences')
        .set({ status: 'skipped', skipped_reason: input.reason ?? 'skipped' })
        .where('id', '=', occurrenceId)
        .execute();
    } else {
      const local = input.localStart ?? occurrence.local_start;
      const startsAt = wallTimeToInstant(local, zone);
      if (startsAt.getTime() < now.getTime()) throw invalidPlan('localStart', 'lies in the past');
      await cancelOccurrenceWork(tx, caller, occurrence, 'occurrence moved');
      const template = {
        ...series.template,
        ...(input.description ? { description: input.description } : {}),
        ...(input.priority ? { priority: input.priority } : {}),
      };
      const workOrder = await createWorkOrder(tx, caller, { ...template, requestedStart: startsAt.toISOString(), dueAt: null }, now);
      await tx
        .updateTable('recurrence_occurrences')
        .set({ status: 'detached', work_order_id: workOrder.id, starts_at: startsAt })
        .where('id', '=', occurrenceId)
        .execute();
    }
    await recordAudit(tx, caller, {
      action: `recurring_work_order.occurrence_${input.action === 'skip' ? 'skipped' : 'changed'}`,
      entityType: 'recurring_work_order',
      entityId: seriesId,
      after: { occurrence: occurrence.local_start, ...input },
    });
    return seriesView(series, await selectOccurrences(tx, seriesId));
  }

  // "this and following": end the series before this occurrence.
  const cut = occurrence.local_start;
  const later = occurrences.filter((o) => o.local_start >= cut && o.status !== 'skipped');
  for (const o of later) {
    const reason = input.action === 'skip' ? (input.reason ?? 'series ended') : 'replaced by a changed series';
    await cancelOccurrenceWork(tx, caller, o, reason);
    await tx.updateTable('recurrence_occurrences').set({ status: 'skipped', skipped_reason: reason }).where('id', '=', o.id).execute();
  }
  await tx
    .updateTable('recurring_work_orders')
    .set({ until_local: cut, ...(input.action === 'skip' ? { ended_at: new Date() } : {}), version: sql<number>`version + 1` })
    .where('id', '=', seriesId)
    .execute();
  await recordAudit(tx, caller, {
    action: 'recurring_work_order.ended',
    entityType: 'recurring_work_order',
    entityId: seriesId,
    after: { from: cut, reason: input.reason ?? null },
  });
  if (input.action === 'skip') return getRecurringWorkOrder(tx, seriesId);
  const template = {
    ...series.template,
    ...(input.description ? { description: input.description } : {}),
    ...(input.priority ? { priority: input.priority } : {}),
  };
  const next = await createRecurringWorkOrder(
    tx,
    caller,
    { rule: input.rule ?? series.rule, localStart: input.localStart ?? cut, workOrder: template },
    settings,
    now,
  );
  await tx.updateTable('recurring_work_orders').set({ parent_id: seriesId }).where('id', '=', next.id).execute();
  return { ...next, parentId: seriesId };
}

/** Rolls every live series' horizon forward (the hourly timer; also safe to call at any time). */
export async function materializeAll(tx: TenantTx, caller: Caller, settings: PlanningSettings, now = new Date()): Promise<number> {
  const { rows } =
    await sql<SeriesRow>`select ${SERIES_COLUMNS} from recurring_work_orders where ended_at is null for update skip locked`.execute(tx);
  let created = 0;
  for (const row of rows) created += await materializeSeries(tx, caller, row, settings, now);
  return created;
}
