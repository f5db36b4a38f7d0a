import { sql, type Selectable } from 'kysely';
import type { CreateSite, Site, UpdateSite } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { containsPattern, decodeCursor, pageFrom, type TenantTx } from '../../platform/db/index.js';
import { notFound, staleVersion } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
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
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = siteView(row);
  await recordAudit(tx, caller, { action: 'site.created', entityType: 'site', entityId: row.id, after: view });
  return view;
}

export async function getSite(tx: TenantTx, id: string): Promise<Site> {
  const row = await selectSite(tx, id);
  if (!row) throw notFound('site', id);
  return siteView(row);
}


export async function listSites(tx: TenantTx, query: { limit: number; cursor?: string; q?: string; includeArchived?: boolean }) {
  const after = decodeCursor(query.cursor);
  let q = tx.selectFrom('sites').selectAll();
  if (!query.includeArchived) q = q.where('active', '=', true);
  if (query.q) {
    const pattern = containsPattern(query.q);
    q = q.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('address', 'ilike', pattern), eb('contact_name', 'ilike', pattern)]));
  }
  if (after) q = q.where((eb) => eb(eb.refTuple(sql<string>`lower(name)`, 'id'), '>', eb.tuple(String(after.k), after.id)));
  const rows = await q.orderBy(sql`lower(name)`).orderBy('id').limit(query.limit + 1).execute();
  const page = pageFrom(rows, query.limit, (r) => ({ k: r.name.toLowerCase(), id: r.id }));
  return { items: page.items.map(siteView), nextCursor: page.nextCursor };
}

export async function updateSite(tx: TenantTx, caller: Caller, id: string, expected: number, input: UpdateSite): Promise<Site> {
  const before = await selectSite(tx, id, true);
  if (!before) throw notFound('site', id);
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
      version: before.version + 1,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = siteView(row);
  await recordAudit(tx, caller, { action: 'site.updated', entityType: 'site', entityId: id, before: siteView(before), after: view });
  return view;
}

export async function archiveSite(tx: TenantTx, caller: Caller, id: string, expected: number): Promise<Site> {
  return updateSite(tx, caller, id, expected, { active: false });
}
