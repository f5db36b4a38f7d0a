import type { Selectable } from 'kysely';
import type { CreateRegion, Region, UpdateRegion } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { foreignKeyViolationOf, uniqueViolationOf, type TenantTx } from '../../platform/db/index.js';
import { conflict, forbidden, notFound, staleVersion, unprocessable } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { assertMayActInRegion, regionScopeOf } from './regions.policy.js';
import type { RegionsTable } from './regions.tables.js';
import './regions.tables.js';

type RegionRow = Selectable<RegionsTable>;

export function regionView(row: RegionRow): Region {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Every region of the tenant, by code (a tenant has a handful: no paging). */
export async function listRegions(tx: TenantTx): Promise<{ items: Region[] }> {
  const rows = await tx.selectFrom('regions').selectAll().orderBy('code').execute();
  return { items: rows.map(regionView) };
}

export async function getRegion(tx: TenantTx, id: string): Promise<Region> {
  const row = await tx.selectFrom('regions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('region', id);
  return regionView(row);
}

/**
 * Refuses (422, naming `field`) region codes the tenant does not have. Resources name one region
 * (`region`), memberships several (`regions`).
 */
export async function assertRegionsExist(tx: TenantTx, codes: readonly string[], field: string): Promise<void> {
  const wanted = [...new Set(codes)];
  if (wanted.length === 0) return;
  const found = await tx.selectFrom('regions').select('code').where('code', 'in', wanted).execute();
  const known = new Set(found.map((r) => r.code));
  const missing = wanted.filter((c) => !known.has(c));
  if (missing.length > 0) {
    throw unprocessable('unknown-reference', `no region ${missing.map((c) => `"${c}"`).join(', ')} in this tenant`, [
      { field, message: 'unknown region' },
    ]);
  }
}

const codeTaken = (code: string) => conflict(`a region with code "${code}" already exists`, [{ field: 'code', message: 'already taken' }]);

export async function createRegion(tx: TenantTx, caller: Caller, input: CreateRegion): Promise<Region> {
  let row: RegionRow;
  try {
    row = await tx
      .insertInto('regions')
      .values({ code: input.code, name: input.name, description: input.description ?? null })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (uniqueViolationOf(error) !== undefined) throw codeTaken(input.code);
    throw error;
  }
  const view = regionView(row);
  await recordAudit(tx, caller, { action: 'region.created', entityType: 'region', entityId: row.id, after: view });
  return view;
}

export async function updateRegion(tx: TenantTx, caller: Caller, id: string, expected: number, input: UpdateRegion): Promise<Region> {
  const before = await tx.selectFrom('regions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!before) throw notFound('region', id);
  if (before.version !== expected) throw staleVersion('region', id);
  const row = await tx
    .updateTable('regions')
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      version: before.version + 1,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = regionView(row);
  await recordAudit(tx, caller, { action: 'region.updated', entityType: 'region', entityId: id, before: regionView(before), after: view });
  return view;
}

/** Deletes a region no equipment, driver or site names any more (409 otherwise). */
export async function deleteRegion(tx: TenantTx, caller: Caller, id: string, expected: number): Promise<Region> {
  const before = await tx.selectFrom('regions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!before) throw notFound('region', id);
  if (before.version !== expected) throw staleVersion('region', id);
  try {
    await tx.deleteFrom('regions').where('id', '=', id).execute();
  } catch (error) {
    if (foreignKeyViolationOf(error) !== undefined) {
      throw conflict(`region "${before.code}" still has equipment, drivers or sites; move them to another region (or shared) first`);
    }
    throw error;
  }
  const view = regionView(before);
  await recordAudit(tx, caller, { action: 'region.deleted', entityType: 'region', entityId: id, before: view, after: null });
  return view;
}

/**
 * The region a create or update stores on a resource, checked by the policy:
 * - the row's current region must be within the caller's scope (403 otherwise);
 * - a region given must exist in the tenant (422, field `region`) and be within the scope (403);
 * - shared (null) is for callers who are not limited: a limited caller cannot hand a resource to
 *   every region (403); on create they may leave it out when they have exactly one region, and
 *   the resource goes to that region.
 * Returns the value to store; undefined: leave it unchanged (update without `region`).
 */
export async function regionForWrite(
  tx: TenantTx,
  caller: Caller,
  entity: string,
  current: { region: string | null } | null,
  requested: string | null | undefined,
): Promise<string | null | undefined> {
  if (current) assertMayActInRegion(caller, current.region, entity);
  const scope = regionScopeOf(caller);
  let region = requested;
  if (region === undefined) {
    if (current) return undefined;
    region = scope !== null && scope.length === 1 ? (scope[0] ?? null) : null;
  }
  if (region === null) {
    if (scope !== null)
      throw forbidden(`only an admin can make ${entity} shared by every region; give one of your regions (${scope.join(', ')})`);
    return null;
  }
  await assertRegionsExist(tx, [region], 'region');
  assertMayActInRegion(caller, region, entity);
  return region;
}
