import { mayMove, type DispatchActor, type DispatchCommand } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';
import { findEquipment } from '../fleet/index.js';
import { findDriver, findDriverBySubject } from '../people/index.js';
import { assertMayActInRegion, assertMaySeeRegion, regionScopeOf } from '../regions/index.js';
import { findSite } from '../sites/index.js';

/**
 * The one place that decides who may see or move a dispatch. By role here; by region through
 * modules/regions' policy: a dispatch (and its work order) is in its site's region.
 */

/** The region of a site (null: shared); read only for callers limited by region. */
async function siteRegion(tx: TenantTx, siteId: string): Promise<string | null> {
  return (await findSite(tx, siteId))?.region ?? null;
}

/** A work order or dispatch at `siteId` read by `caller`: 404 outside their regions. */
export async function assertMaySeeSite(tx: TenantTx, caller: Caller, siteId: string, entity: string, id: string): Promise<void> {
  if (regionScopeOf(caller) === null) return;
  assertMaySeeRegion(caller, await siteRegion(tx, siteId), entity, id);
}

/** A work order or dispatch at `siteId` changed by `caller`: 403 outside their regions. */
export async function assertMayActAtSite(tx: TenantTx, caller: Caller, siteId: string, entity: string): Promise<void> {
  if (regionScopeOf(caller) === null) return;
  assertMayActInRegion(caller, await siteRegion(tx, siteId), entity);
}

/** A work order read (404) or changed (403) by `caller`, by its site's region. Unknown ids pass (the caller answers 404). */
export async function assertMayUseWorkOrder(tx: TenantTx, caller: Caller, workOrderId: string, mode: 'read' | 'write'): Promise<void> {
  if (regionScopeOf(caller) === null) return;
  const row = await tx.selectFrom('work_orders').select('site_id').where('id', '=', workOrderId).executeTakeFirst();
  if (!row) return;
  if (mode === 'read') await assertMaySeeSite(tx, caller, row.site_id, 'work order', workOrderId);
  else await assertMayActAtSite(tx, caller, row.site_id, 'this work order');
}

/** A manual pick: the equipment and the driver must both be within the dispatcher's regions (403). */
export async function assertMayPick(tx: TenantTx, caller: Caller, equipmentId: string, driverId: string): Promise<void> {
  if (regionScopeOf(caller) === null) return;
  const [equipment, driver] = await Promise.all([findEquipment(tx, equipmentId), findDriver(tx, driverId)]);
  assertMayActInRegion(caller, equipment?.region, `equipment ${equipment?.asset_tag ?? equipmentId}`);
  assertMayActInRegion(caller, driver?.region, `driver ${driver?.name ?? driverId}`);
}

/** A caller as the state machine knows them: dispatchers and admins act as `dispatcher`; a driver-only caller as `driver`. */
export function actorOf(caller: Caller): DispatchActor {
  if (caller.kind === 'system') return 'system';
  return caller.roles.includes('admin') || caller.roles.includes('dispatcher') ? 'dispatcher' : 'driver';
}

/**
 * May `caller` see this dispatch? Dispatchers, admins and viewers see every dispatch; a driver
 * only their own (others' answer 404, as if they did not exist). Returns the caller's driver id
 * when they act as a driver.
 */
export async function assertMaySee(
  tx: TenantTx,
  caller: Caller,
  dispatch: { id: string; driver_id: string | null; site_id: string },
): Promise<void> {
  if (caller.kind === 'system' || caller.roles.some((r) => r === 'admin' || r === 'dispatcher' || r === 'viewer')) {
    await assertMaySeeSite(tx, caller, dispatch.site_id, 'dispatch', dispatch.id);
    return;
  }
  const me = await findDriverBySubject(tx, caller.subject);
  if (!me || me.id !== dispatch.driver_id) throw notFound('dispatch', dispatch.id);
}

/**
 * May `caller` make this move? A driver only on their own dispatch (404 otherwise) and only the
 * moves the state machine gives drivers; dispatchers the dispatcher moves.
 */
export async function assertMayMove(
  tx: TenantTx,
  caller: Caller,
  command: DispatchCommand,
  dispatch: { id: string; driver_id: string | null; site_id: string },
): Promise<void> {
  const actor = actorOf(caller);
  if (actor !== 'driver' && mayMove(command, actor)) {
    await assertMayActAtSite(tx, caller, dispatch.site_id, 'this dispatch');
    return;
  }
  if (caller.roles.includes('driver') && mayMove(command, 'driver')) {
    const me = await findDriverBySubject(tx, caller.subject);
    if (me && me.id === dispatch.driver_id) return;
  }
  throw notFound('dispatch', dispatch.id);
}
