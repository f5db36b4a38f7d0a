import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { recordAuditBatch } from '../audit/index.js';
import { selectSite, type SiteRow } from './sites.service.js';

export { sitesRoutes } from './sites.routes.js';
export { createSite, listSites, siteView, type SiteRow } from './sites.service.js';

export function findSite(tx: TenantTx, id: string): Promise<SiteRow | undefined> {
  return selectSite(tx, id);
}

/** Bulk-creates sites (CSV import), audited per row. */
export async function importSites(
  tx: TenantTx,
  caller: Caller,
  rows: ReadonlyArray<{
    name: string;
    address: string;
    position: { lat: number; lng: number } | null;
    contactName: string | null;
    contactPhone: string | null;
    notes: string | null;
  }>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const created: Array<{ id: string }> = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    created.push(
      ...(await tx
        .insertInto('sites')
        .values(
          chunk.map((r) => ({
            name: r.name,
            address: r.address,
            lat: r.position?.lat ?? null,
            lng: r.position?.lng ?? null,
            contact_name: r.contactName,
            contact_phone: r.contactPhone,
            notes: r.notes,
          })),
        )
        .returning('id')
        .execute()),
    );
  }
  await recordAuditBatch(
    tx,
    caller,
    created.map((s, i) => ({ action: 'site.imported', entityType: 'site', entityId: s.id, after: { ...rows[i] } })),
  );
  return created.length;
}
