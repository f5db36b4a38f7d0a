import { systemCaller, type Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { selectQueue, reserveBestPair, type LoadedDispatch } from './dispatch.repo.js';
import { changeDispatch, queuedBefore } from './record-change.js';
import type { DispatchSettings } from '@yardmaster/contracts';

/** Great-circle distance in km; Infinity when either position is unknown (sorted last). */
export function distanceKm(aLat: number | null, aLng: number | null, bLat: number | null, bLng: number | null): number {
  if (aLat === null || aLng === null || bLat === null || bLng === null) return Number.POSITIVE_INFINITY;
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLng = (bLng - aLng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLng / 2) ** 2;
  return 12_742 * Math.asin(Math.sqrt(h));
}

/**
 * Which queued requests a change can serve: some equipment types (null: every type), plus, when a
 * driver came free, every type that driver is qualified for.
 */
export type MatchScope = { typeIds: readonly string[] | null; freedDriverId?: string };
export const EVERY_TYPE: MatchScope = { typeIds: null };

/**
 * Matches the tenant's queue (the part a change can serve) against free resources in fair order:
 * score (priority, optional ageing), then queue time. The caller holds the dispatch queue lock
 * (`lockDispatchQueue`), so the queue cannot change underneath.
 *
 * Set-based: one statement reads the queue in order with each request's requirements; then per
 * request ONE statement picks the best equipment and driver in SQL (`ORDER BY … LIMIT 1 FOR UPDATE
 * SKIP LOCKED`) and reserves the equipment, and one more assigns the dispatch. No free pool is
 * loaded into Node. Once a type has no free equipment (or no free qualified driver) for a request
 * without special constraints, later requests of that type are not tried — they could only fail —
 * so a long blocked queue costs one attempt per type, not one per request.
 * Returns the dispatches assigned.
 */
export async function matchQueue(
  tx: TenantTx,
  caller: Caller,
  settings: DispatchSettings,
  scope: MatchScope = EVERY_TYPE,
): Promise<LoadedDispatch[]> {
  if (!settings.autoProcessing) return [];
  if (scope.typeIds !== null && scope.typeIds.length === 0 && !scope.freedDriverId) return [];
  const { queue, demand } = await selectQueue(tx, scope, settings.ageingPointsPerMinute);
  const auto = systemCaller(caller.tenantSlug, caller.requestId);
  const noEquipment = new Set<string>();
  const noDriver = new Set<string>();
  // After an older request of a type found no driver but had decliners, a newer one of that type may
  // only take a driver every such older request had declined (one it could not have used).
  const onlyDecliners = new Map<string, Set<string>>();
  const assigned: LoadedDispatch[] = [];
  // REGIONS: requests served out of turn (an older request in another lane claimed the pair a later one reserved).
  const served = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    const request = queue[i];
    if (!request || served.has(request.id)) continue;
    // REGIONS: a type gives up per lane (modules/regions), so one region's shortage never stalls another's.
    const type = `${request.equipment_type_id}|${request.lane}`;
    if (noEquipment.has(type) || noDriver.has(type)) continue;
    const only = onlyDecliners.get(type);
    const pick = await reserveBestPair(tx, request, demand, settings.ageingPointsPerMinute, only ? [...only] : null);
    if (!pick.reserved || !pick.equipmentId || !pick.driverId) {
      // Only a request without a specific machine speaks for its type's machines.
      if (!pick.equipmentId && !request.requested_equipment_id) noEquipment.add(type);
      if (pick.equipmentId && !pick.driverId) {
        if (request.declined_driver_ids.length === 0) noDriver.add(type);
        else {
          const declined = new Set(request.declined_driver_ids);
          const narrowed = only ? new Set([...only].filter((id) => declined.has(id))) : declined;
          if (narrowed.size === 0) noDriver.add(type);
          else onlyDecliners.set(type, narrowed);
        }
      }
      continue;
    }
    const after = await changeDispatch(
      tx,
      auto,
      { id: pick.claimantId, beforeOf: queuedBefore },
      {
        status: 'dispatched',
        equipment_id: pick.equipmentId,
        driver_id: pick.driverId,
        dispatched_at: new Date(),
        assigned_by_kind: auto.kind,
        assigned_by_subject: auto.subject,
        assigned_by_name: auto.name,
      },
      'dispatch.dispatched',
    );
    // A served request stops competing for scarce qualifications.
    for (const q of request.required) {
      const d = demand[q];
      if (d) d[0] = Math.max(0, d[0] - 1);
    }
    assigned.push(after);
    served.add(pick.claimantId);
    // The pair went to an older request: this one tries again (it may still find another pair).
    if (pick.claimantId !== request.id) i--;
  }
  return assigned;
}
