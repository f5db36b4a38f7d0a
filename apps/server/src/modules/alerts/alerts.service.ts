import type { Selectable } from 'kysely';
import { AlertSettingsSchema, type Alert, type AlertSettings } from '@yardmaster/contracts';
import { systemCaller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { tenantSettings } from '../../platform/tenant-settings.js';
import { listQueuedDispatches } from '../dispatch/index.js';
import { publishEvent } from '../notifications/index.js';
import { alertVisibleSql, EVERY_REGION, type RegionSubject } from '../regions/index.js';
import { listExpiringQualifications } from '../people/index.js';
import { forecastQualificationImpact, planningSettingsFor } from '../planning/index.js';
import type { AlertsTable } from './alerts.tables.js';
import './alerts.tables.js';

export const DEFAULT_ALERT_SETTINGS: AlertSettings = { queuedMinutes: 120, urgentDepth: 5, urgentMinutes: 10, expiringDays: 30 };
/** `tenant_settings['alerts']`: the thresholds alerts are raised at. */
export const alertSettings = tenantSettings('alerts', AlertSettingsSchema, () => ({ ...DEFAULT_ALERT_SETTINGS }));

export const readAlertSettings = (tx: TenantTx): Promise<AlertSettings> => alertSettings.read(tx);

export function alertView(row: Selectable<AlertsTable>): Alert {
  return {
    id: row.id,
    kind: row.kind,
    entityType: row.entity_type,
    entityId: row.entity_id,
    message: row.message,
    details: row.details,
    firstSeenAt: row.first_seen_at.toISOString(),
    raisedAt: (row.raised_at ?? row.first_seen_at).toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
  };
}

type Condition = {
  key: string;
  kind: AlertsTable['kind'];
  entityType: string;
  entityId: string;
  message: string;
  details: Record<string, unknown>;
  /** How long the condition must last before the alert is raised. */
  afterMinutes: number;
};

/** What is wrong right now, from the dispatch and people modules' doors. */
async function currentConditions(tx: TenantTx, settings: AlertSettings, now: Date): Promise<Condition[]> {
  const conditions: Condition[] = [];
  const queued = await listQueuedDispatches(tx);
  for (const d of queued) {
    const waited = Math.floor((now.getTime() - d.queuedAt.getTime()) / 60_000);
    if (waited >= settings.queuedMinutes) {
      conditions.push({
        key: `queued_too_long:${d.id}`,
        kind: 'queued_too_long',
        entityType: 'dispatch',
        entityId: d.id,
        message: `a ${d.priority} request has waited ${waited} min in the queue (threshold ${settings.queuedMinutes} min)`,
        details: { priority: d.priority, queuedAt: d.queuedAt.toISOString(), waitedMinutes: waited },
        afterMinutes: 0,
      });
    }
  }
  const urgent = queued.filter((d) => d.priority === 'urgent').length;
  if (urgent >= settings.urgentDepth) {
    conditions.push({
      key: 'urgent_queue_depth',
      kind: 'urgent_queue_depth',
      entityType: 'queue',
      entityId: 'urgent',
      message: `${urgent} urgent requests are queued (threshold ${settings.urgentDepth} for ${settings.urgentMinutes} min)`,
      details: { urgent, threshold: settings.urgentDepth },
      afterMinutes: settings.urgentMinutes,
    });
  }
  for (const q of await listExpiringQualifications(tx, settings.expiringDays)) {
    const expired = q.expires_at <= now;
    conditions.push({
      key: `qualification_expiring:${q.driver_id}:${q.code}`,
      kind: 'qualification_expiring',
      entityType: 'driver',
      entityId: q.driver_id,
      message: `${q.driver_name}'s ${q.code} ${expired ? 'expired' : 'expires'} on ${q.expires_at.toISOString().slice(0, 10)}`,
      details: { driverName: q.driver_name, code: q.code, expiresAt: q.expires_at.toISOString(), expired },
      afterMinutes: 0,
    });
  }
  // The qualification-expiry impact forecast (modules/planning): days on which scheduled work of a
  // type will have fewer qualified drivers on shift than jobs, over the same look-ahead.
  const zone = (await planningSettingsFor(tx, 'UTC')).timeZone;
  for (const p of (await forecastQualificationImpact(tx, EVERY_REGION, Math.min(90, settings.expiringDays), zone, now)).problems) {
    conditions.push({
      key: `qualification_shortfall:${p.day}:${p.equipmentTypeId}${p.region ? `:${p.region}` : ''}`,
      kind: 'qualification_shortfall',
      entityType: 'equipment_type',
      entityId: p.equipmentTypeId,
      message: p.message,
      // A shortfall of one region's work is that region's alert (region_of_entity reads it).
      details: {
        day: p.day,
        typeCode: p.typeCode,
        jobs: p.jobs,
        qualifiedOnShift: p.qualifiedOnShift,
        expired: p.expired,
        ...(p.region ? { region: p.region } : {}),
      },
      afterMinutes: 0,
    });
  }
  return conditions;
}

/**
 * Compares what is wrong now with the open alerts: raises new ones (once a condition has lasted
 * its minimum time) and resolves those whose condition ended, each as a live event
 * (`alert.raised`, `alert.resolved`) in the same transaction. Returns the counts.
 */
export async function evaluateAlerts(tx: TenantTx, now = new Date()): Promise<{ raised: number; resolved: number }> {
  const settings = await readAlertSettings(tx);
  const conditions = await currentConditions(tx, settings, now);
  const open = await tx.selectFrom('alerts').selectAll().where('resolved_at', 'is', null).execute();
  const openByKey = new Map(open.map((a) => [a.key, a]));
  let raised = 0;
  let resolved = 0;
  for (const c of conditions) {
    let row = openByKey.get(c.key);
    if (!row) {
      row = await tx
        .insertInto('alerts')
        .values({
          key: c.key,
          kind: c.kind,
          entity_type: c.entityType,
          entity_id: c.entityId,
          message: c.message,
          details: JSON.stringify(c.details),
          first_seen_at: now,
        })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            first_seen_at: now,
            raised_at: null,
            resolved_at: null,
            message: c.message,
            details: JSON.stringify(c.details),
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    openByKey.delete(c.key);
    if (!row.raised_at && now.getTime() - row.first_seen_at.getTime() >= c.afterMinutes * 60_000) {
      const updated = await tx
        .updateTable('alerts')
        .set({ raised_at: now, message: c.message, details: JSON.stringify(c.details) })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await publishEvent(tx, { type: 'alert.raised', entityType: 'alert', entityId: updated.id, data: { alert: alertView(updated) } });
      raised++;
    }
  }
  for (const stale of openByKey.values()) {
    const updated = await tx
      .updateTable('alerts')
      .set({ resolved_at: now })
      .where('id', '=', stale.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (stale.raised_at) {
      await publishEvent(tx, { type: 'alert.resolved', entityType: 'alert', entityId: updated.id, data: { alert: alertView(updated) } });
      resolved++;
    }
  }
  return { raised, resolved };
}

/**
 * The raised alerts; a region-limited caller (modules/regions) sees those about their regions'
 * and shared dispatches, drivers, machines and sites, their regions' qualification shortfalls, and
 * the tenant-wide ones (queue depth, shortfalls of shared sites' work). Without a caller: every alert (the system).
 */
export async function listAlerts(
  tx: TenantTx,
  query: { state: 'open' | 'resolved' | 'all'; limit: number },
  caller: RegionSubject = systemCaller(''),
): Promise<Alert[]> {
  let q = tx.selectFrom('alerts').selectAll().where('raised_at', 'is not', null).where(alertVisibleSql(caller, 'alerts.id'));
  if (query.state === 'open') q = q.where('resolved_at', 'is', null);
  if (query.state === 'resolved') q = q.where('resolved_at', 'is not', null);
  const rows = await q.orderBy('raised_at', 'desc').limit(query.limit).execute();
  return rows.map(alertView);
}
