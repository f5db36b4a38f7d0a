import type { SearchQuery, SearchResult } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { listWorkOrders } from '../dispatch/index.js';
import { listEquipment } from '../fleet/index.js';
import { listDrivers } from '../people/index.js';
import { listSites } from '../sites/index.js';

/**
 * Searches the tenant's work orders, sites, equipment and drivers with each module's own list
 * (the same matching as its table's filter box), a few of each. Work orders also come from the
 * sites that match, so typing a site's name finds the work there. Each list applies the caller's
 * regions, so search shows only what the caller may see.
 */
export async function searchEverything(tx: TenantTx, caller: Caller, query: SearchQuery): Promise<SearchResult> {
  const { q, limit } = query;
  // One transaction, one connection: the lists run one after the other.
  const sites = (await listSites(tx, caller, { q, limit })).items;
  const direct = (await listWorkOrders(tx, caller, { q, limit })).items;
  const workOrders = new Map(direct.map((w) => [w.id, w]));
  for (const site of sites.slice(0, 3)) {
    if (workOrders.size >= limit) break;
    for (const w of (await listWorkOrders(tx, caller, { siteId: site.id, limit: limit - workOrders.size })).items) workOrders.set(w.id, w);
  }
  const equipment = (await listEquipment(tx, caller, { q, limit })).items;
  const drivers = (await listDrivers(tx, caller, { q, limit })).items;
  return {
    workOrders: [...workOrders.values()].map((w) => ({
      id: w.id,
      number: w.number,
      description: w.description,
      status: w.status,
      siteId: w.siteId,
    })),
    sites: sites.map((s) => ({ id: s.id, name: s.name, address: s.address })),
    equipment: equipment.map((e) => ({ id: e.id, assetTag: e.assetTag, name: e.name, status: e.status })),
    drivers: drivers.map((d) => ({ id: d.id, name: d.name, employeeNo: d.employeeNo, dutyStatus: d.dutyStatus })),
  };
}
