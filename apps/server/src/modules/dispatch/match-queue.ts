import { sql } from 'kysely';
import { systemCaller, type Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { holdAuditChain } from '../audit/index.js';
import { markEquipmentDispatched } from '../fleet/index.js';
import { assignDispatch } from './assign.js';
import { readDispatchSettings } from './settings.js';

type QueuedRow = {
  id: string;
  equipment_type_id: string;
  requested_equipment_id: string | null;
  declined_driver_ids: string[];
  site_lat: number | null;
  site_lng: number | null;
};
type FreeEquipment = { id: string; equipment_type_id: string; lat: number | null; lng: number | null; idle_since: Date };
type FreeDriver = { id: string; lat: number | null; lng: number | null; idle_since: Date };

const PRIORITY_POINTS = { urgent: 200, standard: 100, low: 0 } as const;

/** Great-circle distance in km; Infinity when either position is unknown (sorted last). */
export function distanceKm(aLat: number | null, aLng: number | null, bLat: number | null, bLng: number | null): number {
  if (aLat === null || aLng === null || bLat === null || bLng === null) return Number.POSITIVE_INFINITY;
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLng = (bLng - aLng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLng / 2) ** 2;
  return 12_742 * Math.asin(Math.sqrt(h));
}

async function lockIfStill(tx: TenantTx, query: ReturnType<typeof sql<{ id: string }>>): Promise<boolean> {
  return (await query.execute(tx)).rows.length === 1;
}

/** The SQL score of a queued dispatch: priority points plus optional ageing points per minute waited. */
export function queueScoreSql(ageingPointsPerMinute: number) {
  return sql<number>`(case d.priority when 'urgent' then ${PRIORITY_POINTS.urgent}::float8 when 'standard' then ${PRIORITY_POINTS.standard}::float8 else 0::float8 end)
    + ${ageingPointsPerMinute}::float8 * extract(epoch from (now() - d.queued_at)) / 60`;
}

/**
 * Matches the tenant's queue against free resources, in fair order (score, then queue time), in the
 * caller's transaction. Serialised per tenant by taking the audit-chain lock first (every dispatch
 * writer takes it before its row locks), so the queue it reads cannot change under it; resources
 * changed by other modules are locked one chosen row at a time with SKIP LOCKED, so it never waits
 * on them and cannot deadlock with them.
 * Returns the number of assignments made.
 */
export async function matchQueue(tx: TenantTx, caller: Caller): Promise<number> {
  const settings = await readDispatchSettings(tx);
  if (!settings.autoProcessing) return 0;
  await holdAuditChain(tx);

  const queued = (
    await sql<QueuedRow>`
      select d.id, d.equipment_type_id, d.requested_equipment_id, d.declined_driver_ids, s.lat as site_lat, s.lng as site_lng
      from dispatches d join sites s on s.id = d.site_id
      where d.status = 'queued'
      order by ${queueScoreSql(settings.ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq
      limit 2000`.execute(tx)
  ).rows;
  if (queued.length === 0) return 0;

  const typeIds = [...new Set(queued.map((q) => q.equipment_type_id))];
  const requirements = (
    await sql<{ equipment_type_id: string; qualification_id: string }>`
      select equipment_type_id, qualification_id from equipment_type_qualifications where equipment_type_id = any(${typeIds}::uuid[])`.execute(tx)
  ).rows;
  const required = new Map<string, string[]>();
  for (const r of requirements) required.set(r.equipment_type_id, [...(required.get(r.equipment_type_id) ?? []), r.qualification_id]);

  const equipment = (
    await sql<FreeEquipment>`
      select id, equipment_type_id, lat, lng, idle_since from equipment
      where status = 'available' and equipment_type_id = any(${typeIds}::uuid[])`.execute(tx)
  ).rows;
  if (equipment.length === 0) return 0;

  const drivers = (
    await sql<FreeDriver>`
      select dr.id, dr.lat, dr.lng, dr.idle_since from drivers dr
      where dr.duty_status = 'on_duty' and dr.archived_at is null
        and not exists (select 1 from dispatches x where x.driver_id = dr.id and x.status in ('dispatched', 'en_route', 'on_site', 'returning'))`.execute(tx)
  ).rows;
  if (drivers.length === 0) return 0;

  const held = new Map<string, Set<string>>();
  for (const h of (
    await sql<{ driver_id: string; qualification_id: string }>`
      select driver_id, qualification_id from driver_qualifications
      where driver_id = any(${drivers.map((d) => d.id)}::uuid[]) and (expires_at is null or expires_at > now())`.execute(tx)
  ).rows) {
    const set = held.get(h.driver_id) ?? new Set<string>();
    set.add(h.qualification_id);
    held.set(h.driver_id, set);
  }

  // How much queued work needs each qualification: a driver holding in-demand qualifications is
  // kept for the work only they can do.
  const demand = new Map<string, number>();
  for (const q of queued) for (const qual of required.get(q.equipment_type_id) ?? []) demand.set(qual, (demand.get(qual) ?? 0) + 1);
  const scarcity = (driverId: string, needed: readonly string[]): number =>
    [...(held.get(driverId) ?? [])].filter((q) => !needed.includes(q)).reduce((sum, q) => sum + (demand.get(q) ?? 0), 0);

  const freeEquipment = new Map(equipment.map((e) => [e.id, e]));
  const freeDrivers = new Map(drivers.map((d) => [d.id, d]));
  const auto = systemCaller(caller.tenantSlug, caller.requestId);
  let assigned = 0;

  for (const request of queued) {
    const needed = required.get(request.equipment_type_id) ?? [];
    const equipmentCandidates = [...freeEquipment.values()]
      .filter((e) => e.equipment_type_id === request.equipment_type_id && (!request.requested_equipment_id || e.id === request.requested_equipment_id))
      .sort(
        (a, b) =>
          distanceKm(a.lat, a.lng, request.site_lat, request.site_lng) - distanceKm(b.lat, b.lng, request.site_lat, request.site_lng) ||
          a.idle_since.getTime() - b.idle_since.getTime() ||
          a.id.localeCompare(b.id),
      );
    const driverCandidates = [...freeDrivers.values()]
      .filter((d) => !request.declined_driver_ids.includes(d.id) && needed.every((q) => held.get(d.id)?.has(q)))
      .sort(
        (a, b) =>
          distanceKm(a.lat, a.lng, request.site_lat, request.site_lng) - distanceKm(b.lat, b.lng, request.site_lat, request.site_lng) ||
          scarcity(a.id, needed) - scarcity(b.id, needed) ||
          a.idle_since.getTime() - b.idle_since.getTime() ||
          a.id.localeCompare(b.id),
      );
    // Lock only what is chosen; a row another transaction holds (a status change in flight) is
    // skipped for this pass rather than waited for, so matching never deadlocks with it.
    let chosenEquipment: FreeEquipment | undefined;
    for (const candidate of equipmentCandidates) {
      if (await lockIfStill(tx, sql`select id from equipment where id = ${candidate.id} and status = 'available' for update skip locked`)) {
        chosenEquipment = candidate;
        break;
      }
      freeEquipment.delete(candidate.id);
    }
    if (!chosenEquipment) continue;
    let chosenDriver: FreeDriver | undefined;
    for (const candidate of driverCandidates) {
      if (await lockIfStill(tx, sql`select id from drivers where id = ${candidate.id} and duty_status = 'on_duty' and archived_at is null for update skip locked`)) {
        chosenDriver = candidate;
        break;
      }
      freeDrivers.delete(candidate.id);
    }
    if (!chosenDriver) continue;
    if (!(await lockIfStill(tx, sql`select id from dispatches where id = ${request.id} and status = 'queued' for update skip locked`))) continue;
    freeEquipment.delete(chosenEquipment.id);
    freeDrivers.delete(chosenDriver.id);
    // A request that is served stops competing for scarce qualifications.
    for (const qual of needed) demand.set(qual, (demand.get(qual) ?? 1) - 1);
    await markEquipmentDispatched(tx, chosenEquipment.id);
    await assignDispatch(tx, auto, request.id, chosenEquipment.id, chosenDriver.id);
    assigned++;
  }
  return assigned;
}
