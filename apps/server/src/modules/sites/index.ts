import type { TenantTx } from '../../platform/db/index.js';
import { selectSite, type SiteRow } from './sites.service.js';

export { sitesRoutes } from './sites.routes.js';
export { createSite, siteView, type SiteRow } from './sites.service.js';

export function findSite(tx: TenantTx, id: string): Promise<SiteRow | undefined> {
  return selectSite(tx, id);
}
