import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { regionScopeOf, type Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { forbidden, notFound } from '../../platform/errors.js';

/**
 * Regions (ABAC): the ONE place that decides what a person may see and do by region, and what
 * automatic matching may pair across regions. Every route and the matcher ask here.
 *
 * - A resource (equipment, driver, site) has a region code or none; none means shared by every
 *   region. Work orders and dispatches are in their site's region.
 * - A person's scope is their region codes (membership, or their own provider's region claim).
 *   Admins, the system and people without region attributes are not limited (scope null).
 * - Reads of a row outside the scope answer 404, as if it did not exist: lists never show it, and
 *   an id seen elsewhere discloses nothing. Writes that touch a row outside the scope, or move a
 *   row out of it, answer 403: the request was understood and the person is refused, so a client
 *   does not drop or recreate a record it believes gone, and the refusal names the rule.
 */

/** Who the policy looks at: enough of a Caller (or an Actor) to decide. */
export type RegionSubject = Pick<Caller, 'roles' | 'regions'> & { kind?: Caller['kind'] };

/** The system's view, not limited by region (background evaluation, internal reads). */
export const EVERY_REGION: RegionSubject = { kind: 'system', roles: [] };

/** The region codes `who` is limited to; null: not limited (defined beside Caller, so lower modules can ask). */
export { regionScopeOf };

/** Is a row in `region` (null: shared) within `who`'s scope? */
export function isInRegionScope(who: RegionSubject, region: string | null | undefined): boolean {
  const scope = regionScopeOf(who);
  return scope === null || region === null || region === undefined || scope.includes(region);
}

/** A read of `entity` `id` in `region`: 404 when it lies outside the caller's scope. */
export function assertMaySeeRegion(who: RegionSubject, region: string | null | undefined, entity: string, id: string): void {
  if (!isInRegionScope(who, region)) throw notFound(entity, id);
}

/**
 * A write touching `entity` in `region`: 403 when it lies outside the caller's scope (both the
 * row's current region and, on a change, the region it is given are checked by the caller).
 */
export function assertMayActInRegion(who: RegionSubject, region: string | null | undefined, entity: string): void {
  if (!isInRegionScope(who, region)) {
    throw forbidden(`${entity} belongs to region "${String(region)}", outside your regions (${(regionScopeOf(who) ?? []).join(', ')})`);
  }
}

/**
 * SQL for list filters: true when `column` (a region code, null: shared) is within the caller's
 * scope. `sql\`true\`` for callers who are not limited, so the planner drops it.
 */
export function regionVisibleSql(who: RegionSubject, column: string): RawBuilder<SqlBool> {
  const scope = regionScopeOf(who);
  if (scope === null) return sql<SqlBool>`true`;
  return sql<SqlBool>`(${sql.ref(column)} is null or ${sql.ref(column)} = any(${[...scope]}::text[]))`;
}

/**
 * SQL for rows that live at a site (work orders, dispatches, status reports): true when the site
 * in `siteIdColumn` is shared or within the caller's scope. A row is in its site's region.
 */
export function siteVisibleSql(who: RegionSubject, siteIdColumn: string): RawBuilder<SqlBool> {
  const scope = regionScopeOf(who);
  if (scope === null) return sql<SqlBool>`true`;
  return sql<SqlBool>`coalesce((select s.region from sites s where s.id = ${sql.ref(siteIdColumn)}) = any(${[...scope]}::text[]), true)`;
}

/**
 * SQL for the alerts list: true when the alert in `idColumn` is shared or within the caller's
 * scope. An alert's region is its own when the evaluation gave it one (a shortfall of one region's
 * work), else its subject's (`region_of_entity('alert', …)`, migration 202612040001).
 */
export function alertVisibleSql(who: RegionSubject, idColumn: string): RawBuilder<SqlBool> {
  const scope = regionScopeOf(who);
  if (scope === null) return sql<SqlBool>`true`;
  return sql<SqlBool>`coalesce(region_of_entity('alert', ${sql.ref(idColumn)}::text) = any(${[...scope]}::text[]), true)`;
}

/**
 * May `who` see entity `entityType` `entityId` (`region_of_entity`: equipment, drivers and sites
 * their own, work orders and dispatches their site's, an alert its own or its subject's)? True
 * for callers who are not limited, without a query.
 */
export async function isEntityVisible(tx: TenantTx, who: RegionSubject, entityType: string, entityId: string): Promise<boolean> {
  const scope = regionScopeOf(who);
  if (scope === null) return true;
  const { rows } = await sql<{ visible: boolean }>`
    select coalesce(region_of_entity(${entityType}, ${entityId}) = any(${[...scope]}::text[]), true) as visible`.execute(tx);
  return rows[0]?.visible === true;
}

/** A key for caches of what a caller may see: '' when not limited, else the sorted region codes. */
export function regionScopeKey(who: RegionSubject): string {
  const scope = regionScopeOf(who);
  return scope === null ? '' : [...scope].sort().join(',');
}

/** Where the tenant's region settings live (tenant_settings, key `regions`); read in SQL by the matcher. */
export const REGION_SETTINGS_KEY = 'regions';

/** Does the tenant let automatic matching cross regions? Read in SQL (an uncorrelated subquery: once per statement). */
export const crossRegionAllowedSql = sql<SqlBool>`coalesce((select (value->>'crossRegionMatching')::boolean from tenant_settings where key = ${REGION_SETTINGS_KEY}), false)`;

/**
 * REGION MATCHING PREDICATE — automatic matching. A free resource in `resourceRegion` may serve a
 * site in `siteRegion` when either is shared (null), they are the same region, or the tenant
 * allows matching across regions. Self-contained SQL (it reads the tenant setting itself), so any
 * matcher can insert it where it selects free equipment and free drivers.
 */
export function regionMatchSql(siteRegion: RawBuilder<unknown>, resourceRegion: RawBuilder<unknown>): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${siteRegion} is null or ${resourceRegion} is null or ${resourceRegion} = ${siteRegion} or ${crossRegionAllowedSql})`;
}

/**
 * True when regions keep matching lanes apart (the tenant has regions and does not let matching
 * cross them). Only then can a request in one lane take a resource that an older request in
 * another lane could also use, so only then does the matcher look for such an older claimant.
 */
export const regionLanesApartSql = sql<SqlBool>`(not ${crossRegionAllowedSql} and exists (select 1 from regions))`;

/**
 * The matching lane of a queued request at a site in `siteRegion`: requests in different lanes
 * never compete for the same region's resources, so the matcher ranks (and gives up on) a type
 * per lane, not per tenant. One lane ('') when matching may cross regions.
 */
export function regionLaneSql(siteRegion: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`case when ${crossRegionAllowedSql} then '' else coalesce(${siteRegion}, '') end`;
}
