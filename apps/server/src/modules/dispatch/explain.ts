import type { Explain } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';
import { selectDispatch, selectExplainFacts } from './dispatch.repo.js';
import { readDispatchSettings } from './settings.js';
import { DEFAULT_JOB_SECONDS } from './job-lengths.js';
import { readPlanningSettings, sayDay, sayTime, selectDriverPlanStates, selectEquipmentWindowStates } from '../availability/index.js';
import { regionScopeOf, type Caller } from '../../platform/caller.js';
import { isInRegionScope } from '../regions/index.js';
import { assertMaySeeSite } from './dispatch.policy.js';

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
const day = (iso: string): string => new Date(iso).toISOString().slice(0, 10);
const list = (names: readonly string[]): string =>
  names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;

/**
 * Why is this dispatch waiting, as a dispatcher would say it: its position among queued requests
 * for the same equipment type, and what blocks it BY NAME — which machines are on which work order
 * with whom until about when, which are in maintenance since when and why, which qualified drivers
 * are busy (on which work order, until about when), off duty, or hold a required ticket that expired
 * (on which date). The estimate is the n-th soonest expected end among the active jobs that would
 * free a machine of the type, each expected to last its type's mean over the last 90 days (1 hour
 * without history).
 *
 * Regions: only the machines and drivers automatic matching may send to the site are weighed (the
 * site's region and shared ones, unless the tenant lets matching cross regions); when that pool is
 * regional and has nothing free, the first blocker says so ("no free CR in your region (NORTH)").
 * A resource the caller may not see (another region) is not named, only counted.
 */
export async function explainDispatch(tx: TenantTx, caller: Caller, id: string): Promise<Explain> {
  const row = await selectDispatch(tx, id);
  if (!row) throw notFound('dispatch', id);
  await assertMaySeeSite(tx, caller, row.site_id, 'dispatch', id);
  const base = { dispatchId: id, status: row.status };
  if (row.status !== 'queued') {
    return {
      ...base,
      summary: `not waiting: the dispatch is ${row.status.replace('_', ' ')}`,
      queuePosition: null,
      competing: 0,
      blockers: [],
      estimatedAssignmentAt: null,
      estimateBasis: `the dispatch is ${row.status}, not queued`,
    };
  }
  const settings = await readDispatchSettings(tx);
  const all = await selectExplainFacts(tx, row, settings.ageingPointsPerMinute);
  // REGIONS: the pool automatic matching uses for this site; names hidden outside the caller's regions.
  const hide = <T extends { region: string | null }>(r: T, field: 'tag' | 'name', label: string): T =>
    isInRegionScope(caller, r.region) ? r : { ...r, [field]: label, wo: null, driver: null, busy_wo: null };
  const facts = {
    ...all,
    equipment: all.equipment.filter((e) => e.matchable).map((e) => hide(e, 'tag', 'a unit outside your regions')),
    drivers: all.drivers.filter((d) => d.matchable).map((d) => hide(d, 'name', 'a driver outside your regions')),
  };
  const isRegionalPool = all.site_region !== null && !all.cross_region;
  const now = Date.now();
  const mean = facts.mean_seconds ?? DEFAULT_JOB_SECONDS;
  const endOf = (dispatchedAt: string | null, typeMean: number | null = mean): number =>
    Math.max(now, new Date(dispatchedAt ?? now).getTime() + (typeMean ?? DEFAULT_JOB_SECONDS) * 1000);

  const blockers: Explain['blockers'] = [];
  const position = facts.position;
  if (position > 1)
    blockers.push({
      kind: 'queue',
      message: `${position - 1} request(s) for this equipment type are ahead of it`,
      count: position - 1,
      names: [],
    });

  // Planning (modules/availability): machines in a planned maintenance window, drivers on leave or off shift.
  const windows = new Map(
    (
      await selectEquipmentWindowStates(
        tx,
        facts.equipment.filter((e) => e.status === 'available').map((e) => e.id),
        new Date(now),
        mean,
      )
    ).map((w) => [w.equipmentId, w]),
  );
  const onDutyFree = facts.drivers.filter((d) => d.valid_all && d.duty_status === 'on_duty' && !d.busy_wo);
  const plans = new Map(
    (
      await selectDriverPlanStates(
        tx,
        onDutyFree.map((d) => d.id),
        new Date(now),
        mean,
      )
    ).map((p) => [p.driverId, p]),
  );
  const planning = await readPlanningSettings(tx);
  const inWindow = facts.equipment.filter((e) => e.status === 'available' && windows.get(e.id)?.available === false);
  const unplanned = facts.drivers.filter((d) => plans.get(d.id)?.available === false);
  const available = facts.equipment.filter((e) => e.status === 'available' && windows.get(e.id)?.available !== false);
  const onJobs = facts.equipment.filter((e) => e.status === 'dispatched');
  const inMaintenance = facts.equipment.filter((e) => e.status === 'maintenance');
  if (available.length === 0) {
    if (onJobs.length > 0) {
      const names = onJobs.map(
        (e) => `${e.tag} — on ${e.wo ?? 'a job'}${e.driver ? ` with ${e.driver}` : ''} until about ${hhmm(endOf(e.dispatched_at))} UTC`,
      );
      blockers.push({
        kind: 'equipment_busy',
        message: `every in-service unit of this type is on a job: ${list(names)}`,
        count: onJobs.length,
        names,
      });
    }
    if (inMaintenance.length > 0) {
      const names = inMaintenance.map((e) => `${e.tag} — in maintenance since ${day(e.since)}${e.note ? ` (${e.note})` : ''}`);
      blockers.push({ kind: 'equipment_maintenance', message: `in maintenance: ${list(names)}`, count: inMaintenance.length, names });
    }
    if (inWindow.length > 0) {
      const names = inWindow.map((e) => {
        const w = windows.get(e.id);
        return `${e.tag} — planned maintenance${w?.windowEndsAt ? ` until ${sayTime(w.windowEndsAt, planning.timeZone)}` : ''}${w?.reason ? ` (${w.reason})` : ''}`;
      });
      blockers.push({
        kind: 'equipment_planned_maintenance',
        message: `in a planned maintenance window: ${list(names)}`,
        count: inWindow.length,
        names,
      });
    }
  }

  const qualified = facts.drivers.filter((d) => d.valid_all);
  const free = qualified.filter((d) => d.duty_status === 'on_duty' && !d.busy_wo && plans.get(d.id)?.available !== false);
  const busy = qualified.filter((d) => d.busy_wo);
  const offDuty = qualified.filter((d) => !d.busy_wo && d.duty_status !== 'on_duty');
  const expired = facts.drivers.filter((d) => !d.valid_all);
  if (free.length === 0) {
    if (busy.length > 0) {
      const names = busy.map(
        (d) => `${d.name} — on ${d.busy_wo ?? 'a job'} until about ${hhmm(endOf(d.dispatched_at, d.busy_type_mean))} UTC`,
      );
      const only =
        busy.length === 1 ? `${busy[0]?.name ?? ''}, the only qualified driver on duty, is busy` : `every qualified driver on duty is busy`;
      blockers.push({ kind: 'drivers_busy', message: `${only}: ${list(names)}`, count: busy.length, names });
    }
    const onLeave = unplanned.filter((d) => plans.get(d.id)?.leaveUntil);
    if (onLeave.length > 0) {
      const names = onLeave.map((d) => `${d.name} is on leave until ${sayDay(plans.get(d.id)?.leaveUntil ?? '')}`);
      blockers.push({ kind: 'drivers_on_leave', message: list(names), count: onLeave.length, names });
    }
    const offShift = unplanned.filter((d) => !plans.get(d.id)?.leaveUntil);
    if (offShift.length > 0) {
      const names = offShift.map((d) => {
        const next = plans.get(d.id)?.nextShiftAt;
        return `${d.name} — outside their shift${planning.allowOvertime ? '' : ' (or it ends before this job would)'}${next ? `, next shift ${sayTime(next, planning.timeZone)}` : ''}`;
      });
      blockers.push({
        kind: 'drivers_off_shift',
        message: `qualified and on duty but not on shift: ${list(names)}`,
        count: offShift.length,
        names,
      });
    }
    if (offDuty.length > 0) {
      const names = offDuty.map((d) => `${d.name} — off duty`);
      blockers.push({
        kind: 'drivers_off_duty',
        message: `qualified but off duty: ${list(offDuty.map((d) => d.name))}`,
        count: offDuty.length,
        names,
      });
    }
    if (expired.length > 0) {
      const names = expired.map((d) => `${d.name} — ${(d.expired ?? []).map((q) => `${q.code} expired on ${q.on}`).join(', ')}`);
      blockers.push({
        kind: 'qualification_expired',
        message: `required qualification expired: ${list(names)}`,
        count: expired.length,
        names,
      });
    }
    if (qualified.length === 0 && expired.length === 0) {
      blockers.push({
        kind: 'no_qualified_driver',
        message: 'no driver holds every qualification this equipment needs',
        count: 0,
        names: [],
      });
    }
  }
  if (isRegionalPool && (available.length === 0 || free.length === 0)) {
    // The reason is regional: say so first, and whether free resources elsewhere are held back.
    const region = all.site_region ?? '';
    const where = regionScopeOf(caller)?.includes(region) ? `your region (${region})` : `region ${region}`;
    const lacking = available.length === 0 ? `no free ${all.type_code}` : 'no free qualified driver';
    const elsewhere =
      available.length === 0
        ? all.equipment.some((e) => !e.matchable && e.status === 'available')
        : all.drivers.some((d) => !d.matchable && d.valid_all && d.duty_status === 'on_duty' && !d.busy_wo);
    const message = `${lacking} in ${where}${elsewhere ? '; free ones in other regions are not used (matching across regions is off)' : ''}`;
    const first = blockers.findIndex((b) => b.kind !== 'queue');
    blockers.splice(first < 0 ? blockers.length : first, 0, { kind: 'region', message, count: 0, names: [] });
  }
  if (!settings.autoProcessing)
    blockers.push({
      kind: 'auto_processing_off',
      message: 'automatic queue processing is off: a dispatcher must pick the resources',
      count: 0,
      names: [],
    });

  // When a machine and a qualified driver are both expected free: the later of the two n-th ends.
  const machineEnds = available.length > 0 ? [] : onJobs.map((e) => endOf(e.dispatched_at)).sort((a, b) => a - b);
  const driverEnds = free.length > 0 ? [] : busy.map((d) => endOf(d.dispatched_at, d.busy_type_mean)).sort((a, b) => a - b);
  const nth = (ends: number[]): number | undefined => (ends.length === 0 ? now : ends[Math.min(position, ends.length + 1) - 1]);
  const machineAt = available.length > 0 ? now : nth(machineEnds);
  const driverAt = free.length > 0 ? now : qualified.length === 0 ? undefined : busy.length === 0 ? undefined : nth(driverEnds);
  const at =
    machineAt !== undefined && driverAt !== undefined && (available.length > 0 || onJobs.length > 0)
      ? Math.max(machineAt, driverAt)
      : undefined;
  const basis =
    facts.mean_seconds === null
      ? 'no finished dispatches of this type in 90 days: assumes 1 hour per job'
      : `mean job length of this type over 90 days: ${Math.round(mean / 60)} min`;
  const reasons = blockers.filter((b) => b.kind !== 'queue');
  const summary =
    reasons[0]?.kind === 'region' && reasons[1]
      ? `${reasons[0].message}: ${reasons[1].message}`
      : (reasons[0]?.message ?? blockers[0]?.message ?? 'next to be served: resources are free');
  return {
    ...base,
    summary: position > 1 ? `#${position} of ${facts.competing} for this type; ${summary}` : summary,
    queuePosition: position,
    competing: facts.competing,
    blockers,
    estimatedAssignmentAt: at === undefined || !settings.autoProcessing ? null : new Date(at).toISOString(),
    estimateBasis: at === undefined ? 'nothing expected to free up: no qualified driver is on a job or no machine is in service' : basis,
  };
}
