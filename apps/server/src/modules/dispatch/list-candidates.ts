import { canMove, type CandidateDriver, type CandidateEquipment, type Candidates } from '@yardmaster/contracts';
import { regionScopeOf, type Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { regionVisibleSql } from '../regions/index.js';
import { assertMaySeeSite } from './dispatch.policy.js';
import { notFound } from '../../platform/errors.js';
import { refuseDriver, refuseEquipment, refusalInWords } from './assign-rules.js';
import { selectCandidateFacts, selectDispatch } from './dispatch.repo.js';
import { invalidTransition } from './dispatch.errors.js';

/** "14:30 GMT" and "2026-11-28" in the tenant's time zone. */
function formattersIn(timeZone: string): { at: (iso: string) => string; day: (iso: string) => string } {
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  const date = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return {
    at: (iso) => time.format(new Date(iso)),
    // A bare date (an expiry day) is a calendar day already; a timestamp is shown as the tenant's day.
    day: (iso) => (/^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso : date.format(new Date(iso))),
  };
}

const byEligibility = <T extends { eligible: boolean }>(a: T, b: T): number => Number(b.eligible) - Number(a.eligible);

/**
 * Every machine and every driver a dispatcher could pick for a waiting dispatch, each eligible or
 * not with the reasons in plain words, judged by the rule manual assignment applies
 * (`assign-rules.ts`). Eligible ones first; machines of the requested type before the others. A
 * region-limited dispatcher gets 404 for a dispatch outside their regions and sees only the
 * machines and drivers of their regions (and shared ones), as in every list.
 */
export async function listCandidates(tx: TenantTx, caller: Caller, id: string, timeZone: string): Promise<Candidates> {
  const row = await selectDispatch(tx, id);
  if (!row) throw notFound('dispatch', id);
  await assertMaySeeSite(tx, caller, row.site_id, 'dispatch', id);
  if (!canMove('assign', row.status))
    throw invalidTransition(`a ${row.status.replace('_', ' ')} dispatch is not waiting for resources`, row.status);
  const all = await selectCandidateFacts(tx, row.equipment_type_id);
  const facts = regionScopeOf(caller) === null ? all : await withinRegions(tx, caller, all);
  const { at, day } = formattersIn(timeZone);
  const equipment: Array<CandidateEquipment & { ofType: boolean }> = facts.equipment.map((e) => {
    const reasons = refuseEquipment(row, e).map((r) => refusalInWords(r, at, day));
    return {
      id: e.equipment_id,
      code: e.asset_tag ?? '',
      name: e.name,
      eligible: reasons.length === 0,
      reasons,
      ofType: e.equipment_type_id === row.equipment_type_id,
    };
  });
  equipment.sort((a, b) => byEligibility(a, b) || Number(b.ofType) - Number(a.ofType));
  const drivers: CandidateDriver[] = facts.drivers.map((d) => {
    const reasons = refuseDriver(d).map((r) => refusalInWords(r, at, day));
    return { id: d.driver_id, name: d.driver_name ?? '', eligible: reasons.length === 0, reasons };
  });
  drivers.sort(byEligibility);
  return { equipment: equipment.map(({ ofType: _ofType, ...e }) => e), drivers };
}

/** The candidates a region-limited caller may see: machines and drivers of their regions, and shared ones. */
async function withinRegions<F extends { equipment: Array<{ equipment_id: string }>; drivers: Array<{ driver_id: string }> }>(
  tx: TenantTx,
  caller: Caller,
  facts: F,
): Promise<F> {
  const equipment = await tx.selectFrom('equipment').select('id').where(regionVisibleSql(caller, 'equipment.region')).execute();
  const drivers = await tx.selectFrom('drivers').select('id').where(regionVisibleSql(caller, 'drivers.region')).execute();
  const seeEquipment = new Set(equipment.map((e) => e.id));
  const seeDrivers = new Set(drivers.map((d) => d.id));
  return {
    ...facts,
    equipment: facts.equipment.filter((e) => seeEquipment.has(e.equipment_id)),
    drivers: facts.drivers.filter((d) => seeDrivers.has(d.driver_id)),
  };
}
