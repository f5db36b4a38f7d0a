import type { Selectable } from 'kysely';
import type { CreateSite, Site, UpdateSite } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { containsPattern, type TenantTx } from '../../platform/db/index.js';
import { notFound, staleVersion } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { publishEvent } from '../notifications/index.js';
import { assertMaySeeRegion, regionForWrite, regionVisibleSql } from '../regions/index.js';
import { keysetFor, lowerText, micros, sortedPage, type SortKey } from '../people/index.js';
import type { SitesTable } from './sites.tables.js';
import './sites.tables.js';

export type SiteRow = Selectable<SitesTable>;

export function siteView(row: SiteRow): Site {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    position: row.lat === null || row.lng === null ? null : { lat: row.lat, lng: row.lng },
    contactName: row.contact_name,
    contactPhone: row.contact_phone,
    notes: row.notes,
    region: row.region,
    active: row.active,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function selectSite(tx: TenantTx, id: string, lock = false): Promise<SiteRow | undefined> {
  let query = tx.selectFrom('sites').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function createSite(tx: TenantTx, caller: Caller, input: CreateSite): Promise<Site> {
  const region = (await regionForWrite(tx, caller, 'site', null, input.region)) ?? null;
  const row = await tx
    .insertInto('sites')
    .values({
      name: input.name,
      address: input.address,
      lat: input.position?.lat ?? null,
      lng: input.position?.lng ?? null,
      contact_name: input.contactName ?? null,
      contact_phone: input.contactPhone ?? null,
      notes: input.notes ?? null,
      region,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = siteView(row);
  await recordAudit(tx, caller, { action: 'site.created', entityType: 'site', entityId: row.id, after: view });
  await publishSite(tx, 'site.created', view);
  return view;
}

export async function getSite(tx: TenantTx, caller: Caller, id: string): Promise<Site> {
  const row = await selectSite(tx, id);
  if (!row) throw notFound('site', id);
  assertMaySeeRegion(caller, row.region, 'site', id);
  return siteView(row);
}

const SITE_SORT_KEYS: Record<'name' | 'createdAt' | 'updatedAt', SortKey> = {
  name: lowerText('sites.name'),
  createdAt: micros('sites.created_at'),
  updatedAt: micros('sites.updated_at'),
};

/** A row that changed region is news to both regions' readers (and to everyone when either side is shared). */
const movedRegions = (previous: string | null | undefined, now: string | null) =>
  previous !== undefined && previous !== now ? { regions: [previous, now] } : {};

async function publishSite(tx: TenantTx, type: string, view: Site, previousRegion?: string | null): Promise<void> {
  await publishEvent(tx, {
    type,
    entityType: 'site',
    entityId: view.id,
    data: { site: view },
    ...movedRegions(previousRegion, view.region),
  });
}

export async function listSites(
  tx: TenantTx,
  caller: Caller,
  query: { limit: number; cursor?: string; q?: string; includeArchived?: boolean; sort?: string; region?: string },
) {
  const keyset = keysetFor(SITE_SORT_KEYS, query.sort ?? 'name', query.cursor, 'sites.id');
  let q = tx.selectFrom('sites').selectAll().select(keyset.sortKey.as('sort_key')).where(regionVisibleSql(caller, 'sites.region'));
  if (query.region) q = q.where('region', '=', query.region);
  if (!query.includeArchived) q = q.where('active', '=', true);
  if (query.q) {
    const pattern = containsPattern(query.q);
    q = q.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('address', 'ilike', pattern), eb('contact_name', 'ilike', pattern)]));
  }
  if (keyset.after) q = q.where(keyset.after);
  const rows = await q
    .orderBy(keyset.expr, keyset.direction)
    .orderBy('sites.id', keyset.direction)
    .limit(query.limit + 1)
    .execute();
  const page = sortedPage(rows, query.limit, keyset);
  return { items: page.items.map(siteView), nextCursor: page.nextCursor };
}

export function updateSite(tx: TenantTx, caller: Caller, id: string, expected: number, input: UpdateSite): Promise<Site> {
  return changeSite(tx, caller, id, expected, input, input.active === false ? 'site.archived' : 'site.updated');
}

async function changeSite(tx: TenantTx, caller: Caller, id: string, expected: number, input: UpdateSite, action: string): Promise<Site> {
  const before = await selectSite(tx, id, true);
  if (!before) throw notFound('site', id);
  const region = await regionForWrite(tx, caller, 'site', before, input.region);
  if (before.version !== expected) throw staleVersion('site', id);
  const row = await tx
    .updateTable('sites')
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.address !== undefined ? { address: input.address } : {}),
      ...(input.position !== undefined ? { lat: input.position?.lat ?? null, lng: input.position?.lng ?? null } : {}),
      ...(input.contactName !== undefined ? { contact_name: input.contactName } : {}),
      ...(input.contactPhone !== undefined ? { contact_phone: input.contactPhone } : {}),
      ...(input.notes !== undefined ? { notes: input.notes } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
      ...(region !== undefined ? { region } : {}),
      version: before.version + 1,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = siteView(row);
  await recordAudit(tx, caller, { action, entityType: 'site', entityId: id, before: siteView(before), after: view });
  await publishSite(tx, action, view, before.region);
  return view;
}

/** Sites are never deleted: work orders and status reports refer to them. */
export function archiveSite(tx: TenantTx, caller: Caller, id: string, expected: number): Promise<Site> {
  return changeSite(tx, caller, id, expected, { active: false }, 'site.archived');
}
