import { sql } from 'kysely';
import type { CapacityCheck, CapacityResult, Eta, QualificationForecast } from '@yardmaster/contracts';
import { regionScopeOf, type Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { regionMatchSql, regionVisibleSql, siteVisibleSql, type RegionSubject } from '../regions/index.js';
import {
  driverAvailableAtSql,
  equipmentAvailableAtSql,
  selectDriverPlanStates,
  selectEquipmentWindowStates,
  sayDay,
  sayTime,
} from '../availability/index.js';
import { invalidPlan } from './planning.errors.js';
import { localDay } from './zone.js';

/**
 * Forecasts read the fleet, people and dispatch tables as the reporting module does: read-only,
 * in one statement each, never taking the dispatch queue lock.
 */

const DEFAULT_JOB_SECONDS = 3600;
const ACTIVE = sql`('dispatched', 'en_route', 'on_site', 'returning')`;

/** Every driver holding each required qualification of the type, unexpired at `at` (an SQL expression). */
const qualifiedAt = (
  driver: ReturnType<typeof sql.ref>,
  typeId: ReturnType<typeof sql>,
  at: ReturnType<typeof sql>,
) => sql<boolean>`not exists (
  select 1 from equipment_type_qualifications r where r.equipment_type_id = ${typeId}
    and not exists (select 1 from driver_qualifications dq where dq.driver_id = ${driver} and dq.qualification_id = r.qualification_id
      and (dq.expires_at is null or dq.expires_at > ${at})))`;

/** Typical job length per equipment type (and per type and site), learned from the status reports of the last 90 days. */
async function selectTypicalDurations(
  tx: TenantTx,
): Promise<{ byTypeSite: Map<string, { seconds: number; n: number }>; byType: Map<string, { seconds: number; n: number }> }> {
  const { rows } = await sql<{ equipment_type_id: string; site_id: string | null; seconds: number; n: number }>`
    select equipment_type_id, site_id, avg(extract(epoch from (completed_at - dispatched_at)))::float8 as seconds, count(*)::int as n
    from status_reports where final_status = 'completed' and completed_at is not null and dispatched_at > now() - interval '90 days'
    group by grouping sets ((equipment_type_id, site_id), (equipment_type_id))`.execute(tx);
  const byTypeSite = new Map<string, { seconds: number; n: number }>();
  const byType = new Map<string, { seconds: number; n: number }>();
  for (const r of rows) {
    if (r.site_id === null) byType.set(r.equipment_type_id, { seconds: r.seconds, n: r.n });
    else byTypeSite.set(`${r.equipment_type_id}:${r.site_id}`, { seconds: r.seconds, n: r.n });
  }
  return { byTypeSite, byType };
}

type Typical = Awaited<ReturnType<typeof selectTypicalDurations>>;
function typicalOf(t: Typical, typeId: string, siteId: string | null): { seconds: number; basis: string } {
  const site = siteId ? t.byTypeSite.get(`${typeId}:${siteId}`) : undefined;
  if (site && site.n >= 3)
    return { seconds: site.seconds, basis: `typical ${Math.round(site.seconds / 60)} min at this site (${site.n} jobs in 90 days)` };
  const type = t.byType.get(typeId);
  if (type)
    return { seconds: type.seconds, basis: `typical ${Math.round(type.seconds / 60)} min for the type (${type.n} jobs in 90 days)` };
  return { seconds: DEFAULT_JOB_SECONDS, basis: 'no finished jobs of the type in 90 days: 1 hour assumed' };
}

// --- capacity check at booking time

/**
 * Will the fleet have the machines and qualified drivers for this work at `at`? Machines: of the
 * type, not retired or in maintenance now, clear of planned maintenance windows over the job, minus
 * those other scheduled or active work of the type holds then. Drivers: holding every required
 * qualification unexpired then, inside a shift and not on leave (planned drivers), or on duty now
 * (drivers without a plan), minus those held by other work then. Warns for each short line.
 */
export async function checkCapacity(tx: TenantTx, input: CapacityCheck, zone: string): Promise<CapacityResult> {
  const at = new Date(input.at);
  const typical = await selectTypicalDurations(tx);
  const lines: CapacityResult['lines'] = [];
  const warnings: string[] = [];
  for (const [i, line] of input.lines.entries()) {
    const need = input.durationMinutes ? input.durationMinutes * 60 : typicalOf(typical, line.equipmentTypeId, null).seconds;
    const atSql = sql`${at}::timestamptz`;
    const needSql = sql<number>`${need}::float8`;
    const { rows } = await sql<{ code: string | null; machines: number; drivers: number; booked: number }>`
      with booked as (
        select count(*)::int as n from dispatches d
        where d.equipment_type_id = ${line.equipmentTypeId}
          and ((d.status = 'scheduled' and d.requested_start < ${atSql} + make_interval(secs => ${needSql}) and d.requested_start + make_interval(secs => ${needSql}) > ${atSql})
            or (d.status in ${ACTIVE} and d.dispatched_at + make_interval(secs => ${needSql}) > ${atSql}))
      )
      select (select code from equipment_types where id = ${line.equipmentTypeId} and archived_at is null) as code,
        (select count(*)::int from equipment e where e.equipment_type_id = ${line.equipmentTypeId} and e.status in ('available', 'dispatched')
          and ${equipmentAvailableAtSql(sql.ref('e.id'), atSql, needSql)}) as machines,
        (select count(*)::int from drivers dr where dr.archived_at is null
          and ${qualifiedAt(sql.ref('dr.id'), sql`${line.equipmentTypeId}::uuid`, atSql)}
          and ${driverAvailableAtSql(sql.ref('dr.id'), atSql, needSql)}
          and (exists (select 1 from shift_patterns p where p.driver_id = dr.id) or dr.duty_status = 'on_duty')) as drivers,
        (select n from booked) as booked`.execute(tx);
    const row = rows[0];
    if (!row?.code) throw invalidPlan(`lines.${i}.equipmentTypeId`, 'unknown equipment type');
    const machines = Math.max(0, row.machines - row.booked);
    const drivers = Math.max(0, row.drivers - row.booked);
    lines.push({ equipmentTypeId: line.equipmentTypeId, typeCode: row.code, needed: line.quantity, machines, drivers });
    const when = sayTime(at, zone);
    if (machines < line.quantity)
      warnings.push(
        `${row.code}: ${line.quantity} needed at ${when}, ${machines} machine(s) free then (maintenance windows and other booked work counted)`,
      );
    if (drivers < line.quantity)
      warnings.push(`${row.code}: ${line.quantity} needed at ${when}, ${drivers} qualified driver(s) on shift and free then`);
  }
  return { ok: warnings.length === 0, warnings, lines };
}

// --- ETA to assignment for every queued request

type QueuedRow = {
  id: string;
  number: string;
  equipment_type_id: string;
  code: string;
  site_id: string | null;
  requested_equipment_id: string | null;
  declined: string[];
};
type MachineRow = {
  id: string;
  tag: string;
  equipment_type_id: string;
  status: string;
  dispatched_at: Date | null;
  site_id: string | null;
  active_type: string | null;
  wo: string | null;
};
type DriverRow = {
  id: string;
  name: string;
  duty_status: string;
  dispatched_at: Date | null;
  site_id: string | null;
  active_type: string | null;
  wo: string | null;
  types: string[];
};

/**
 * When each queued request is expected to get its pair, with the basis of each estimate. A greedy
 * replay of the engine in fair order (priority, then queue time): each request takes the machine of
 * its type and the qualified driver expected free soonest; a machine on a job is free at its start
 * plus the typical length of such a job (per type and site, from the status reports); a planned
 * driver is free inside a shift (outside one: at the next shift start, after any leave); a machine
 * in a maintenance window at its end. A request no resource can ever serve has no estimate.
 */
export async function estimateQueue(tx: TenantTx, zone: string, now = new Date()): Promise<Eta> {
  const typical = await selectTypicalDurations(tx);
  const queue = (
    await sql<QueuedRow>`
      select d.id, w.number, d.equipment_type_id, t.code, d.site_id, d.requested_equipment_id, d.declined_driver_ids as declined
      from dispatches d join work_orders w on w.id = d.work_order_id join equipment_types t on t.id = d.equipment_type_id
      where d.status = 'queued'
      order by case d.priority when 'urgent' then 200 when 'standard' then 100 else 0 end desc, d.queued_at, d.queue_seq limit 2000`.execute(
      tx,
    )
  ).rows;
  if (queue.length === 0) return { generatedAt: now.toISOString(), items: [] };
  const typeIds = [...new Set(queue.map((q) => q.equipment_type_id))];
  const machines = (
    await sql<MachineRow>`
      select e.id, e.asset_tag as tag, e.equipment_type_id, e.status, x.dispatched_at, x.site_id, x.equipment_type_id as active_type, w.number as wo
      from equipment e left join dispatches x on x.equipment_id = e.id and x.status in ${ACTIVE} left join work_orders w on w.id = x.work_order_id
      where e.equipment_type_id = any(${typeIds}::uuid[]) and e.status in ('available', 'dispatched')`.execute(tx)
  ).rows;
  const drivers = (
    await sql<DriverRow>`
      select dr.id, dr.name, dr.duty_status, x.dispatched_at, x.site_id, x.equipment_type_id as active_type, w.number as wo,
        array(select t.id from unnest(${typeIds}::uuid[]) t(id) where ${qualifiedAt(sql.ref('dr.id'), sql`t.id`, sql`now()`)}) as types
      from drivers dr left join dispatches x on x.driver_id = dr.id and x.status in ${ACTIVE} left join work_orders w on w.id = x.work_order_id
      where dr.archived_at is null`.execute(tx)
  ).rows.filter((d) => d.types.length > 0);
  const planStates = new Map(
    (
      await selectDriverPlanStates(
        tx,
        drivers.map((d) => d.id),
        now,
        0,
      )
    ).map((s) => [s.driverId, s]),
  );
  const windows = new Map(
    (
      await selectEquipmentWindowStates(
        tx,
        machines.map((m) => m.id),
        now,
        0,
      )
    ).map((s) => [s.equipmentId, s]),
  );

  // When each resource is expected free, and why.
  const machineFree = new Map<string, { at: number; why: string }>();
  for (const m of machines) {
    const w = windows.get(m.id);
    if (m.dispatched_at && m.active_type) {
      const t = typicalOf(typical, m.active_type, m.site_id);
      machineFree.set(m.id, {
        at: Math.max(now.getTime(), new Date(m.dispatched_at).getTime() + t.seconds * 1000),
        why: `${m.tag} on ${m.wo ?? 'a job'} (${t.basis})`,
      });
    } else if (w && !w.available && w.windowEndsAt)
      machineFree.set(m.id, {
        at: w.windowEndsAt.getTime(),
        why: `${m.tag} in planned maintenance until ${sayTime(w.windowEndsAt, zone)}${w.reason ? ` (${w.reason})` : ''}`,
      });
    else machineFree.set(m.id, { at: now.getTime(), why: `${m.tag} free now` });
  }
  const driverFree = new Map<string, { at: number; why: string }>();
  for (const d of drivers) {
    const plan = planStates.get(d.id);
    if (d.dispatched_at && d.active_type) {
      const t = typicalOf(typical, d.active_type, d.site_id);
      driverFree.set(d.id, {
        at: Math.max(now.getTime(), new Date(d.dispatched_at).getTime() + t.seconds * 1000),
        why: `${d.name} on ${d.wo ?? 'a job'} (${t.basis})`,
      });
    } else if (plan && !plan.available) {
      if (plan.nextShiftAt)
        driverFree.set(d.id, {
          at: plan.nextShiftAt.getTime(),
          why: `${d.name} ${plan.leaveUntil ? `on leave until ${sayDay(plan.leaveUntil)}, ` : 'off shift, '}next shift ${sayTime(plan.nextShiftAt, zone)}`,
        });
    } else if (plan?.planned || d.duty_status === 'on_duty') driverFree.set(d.id, { at: now.getTime(), why: `${d.name} free now` });
  }

  const items: Eta['items'] = [];
  const positions = new Map<string, number>();
  for (const q of queue) {
    const position = (positions.get(q.equipment_type_id) ?? 0) + 1;
    positions.set(q.equipment_type_id, position);
    const t = typicalOf(typical, q.equipment_type_id, q.site_id);
    const mCandidates = machines.filter(
      (m) =>
        m.equipment_type_id === q.equipment_type_id &&
        (!q.requested_equipment_id || m.id === q.requested_equipment_id) &&
        machineFree.has(m.id),
    );
    const dCandidates = drivers.filter((d) => d.types.includes(q.equipment_type_id) && !q.declined.includes(d.id) && driverFree.has(d.id));
    const m = mCandidates.sort((a, b) => (machineFree.get(a.id)?.at ?? 0) - (machineFree.get(b.id)?.at ?? 0))[0];
    const d = dCandidates.sort((a, b) => (driverFree.get(a.id)?.at ?? 0) - (driverFree.get(b.id)?.at ?? 0))[0];
    const basis = [`#${position} of the queued ${q.code} requests`];
    if (!m || !d) {
      basis.push(!m ? `no ${q.code} machine in service` : `no qualified driver on duty, on a job or with a shift in the next 8 days`);
      items.push({
        dispatchId: q.id,
        workOrderNumber: q.number,
        equipmentTypeId: q.equipment_type_id,
        typeCode: q.code,
        position,
        estimatedAssignmentAt: null,
        basis,
      });
      continue;
    }
    const mFree = machineFree.get(m.id) ?? { at: now.getTime(), why: '' };
    const dFree = driverFree.get(d.id) ?? { at: now.getTime(), why: '' };
    const at = Math.max(mFree.at, dFree.at);
    basis.push(`machine: ${mFree.why}`, `driver: ${dFree.why}`);
    // The pair is then busy for this request's typical length.
    machineFree.set(m.id, { at: at + t.seconds * 1000, why: `${m.tag} after ${q.number} (${t.basis})` });
    driverFree.set(d.id, { at: at + t.seconds * 1000, why: `${d.name} after ${q.number} (${t.basis})` });
    items.push({
      dispatchId: q.id,
      workOrderNumber: q.number,
      equipmentTypeId: q.equipment_type_id,
      typeCode: q.code,
      position,
      estimatedAssignmentAt: new Date(at).toISOString(),
      basis,
    });
  }
  return { generatedAt: now.toISOString(), items };
}

// --- qualification-expiry impact forecast

/**
 * For the next `days` local days: which qualifications expire, and on which days scheduled work
 * (including recurring occurrences already created) of a type has fewer qualified drivers on shift
 * than jobs — naming the expiries that took qualified, on-shift drivers away. A driver counts for a
 * job when every required qualification is unexpired at its start and the planning predicate holds
 * then (inside a shift, not on leave; drivers without a plan count as available).
 */
export async function forecastQualificationImpact(
  tx: TenantTx,
  caller: RegionSubject,
  days: number,
  zone: string,
  now = new Date(),
): Promise<QualificationForecast> {
  // Regions: a job counts the drivers who may serve its site (same region, shared, or any when the
  // tenant lets matching cross regions); a region-limited caller sees the jobs at their sites and
  // the names of drivers they may see (the counts still include every driver who may serve).
  const siteRegion = sql`(select s.region from sites s where s.id = d.site_id)`;
  const mayServe = regionMatchSql(siteRegion, sql.ref('dr.region'));
  const from = localDay(now, zone);
  const { rows: expiries } = await sql<{ driver_id: string; driver_name: string; code: string; expires_at: Date }>`
    select dq.driver_id, dr.name as driver_name, q.code, dq.expires_at from driver_qualifications dq
    join drivers dr on dr.id = dq.driver_id join qualifications q on q.id = dq.qualification_id
    where dr.archived_at is null and dq.expires_at > ${now} and dq.expires_at <= ${now}::timestamptz + make_interval(days => ${days})
      and ${regionVisibleSql(caller, 'dr.region')}
    order by dq.expires_at, dr.name`.execute(tx);
  const { rows: jobs } = await sql<{
    id: string;
    equipment_type_id: string;
    code: string;
    region: string | null;
    starts_at: Date;
    available: string[];
    lost: Array<{ driverName: string; code: string; expiresAt: string }>;
  }>`
    select d.id, d.equipment_type_id, t.code, ${siteRegion} as region, d.requested_start as starts_at,
      array(select dr.id from drivers dr where dr.archived_at is null and ${mayServe}
        and ${qualifiedAt(sql.ref('dr.id'), sql`d.equipment_type_id`, sql`d.requested_start`)}
        and ${driverAvailableAtSql(sql.ref('dr.id'), sql`d.requested_start`, sql<number>`0::float8`)}) as available,
      coalesce((select json_agg(json_build_object('driverName', dr.name, 'code', q.code, 'expiresAt', dq.expires_at) order by dr.name)
        from drivers dr join driver_qualifications dq on dq.driver_id = dr.id join qualifications q on q.id = dq.qualification_id
        join equipment_type_qualifications r on r.qualification_id = dq.qualification_id and r.equipment_type_id = d.equipment_type_id
        where dr.archived_at is null and dq.expires_at > ${now} and dq.expires_at <= d.requested_start
          and ${mayServe} and ${regionVisibleSql(caller, 'dr.region')}
          and ${qualifiedAt(sql.ref('dr.id'), sql`d.equipment_type_id`, sql`${now}::timestamptz`)}
          and ${driverAvailableAtSql(sql.ref('dr.id'), sql`d.requested_start`, sql<number>`0::float8`)}), '[]'::json) as lost
    from dispatches d join equipment_types t on t.id = d.equipment_type_id
    where d.status = 'scheduled' and d.requested_start >= ${now} and d.requested_start < ${now}::timestamptz + make_interval(days => ${days})
      and ${siteVisibleSql(caller, 'd.site_id')}
    order by d.requested_start`.execute(tx);

  type Group = {
    day: string;
    typeId: string;
    code: string;
    region: string | null;
    jobs: number;
    drivers: Set<string>;
    lost: Map<string, { driverName: string; qualificationCode: string; expiresOn: string }>;
  };
  const groups = new Map<string, Group>();
  for (const job of jobs) {
    const day = localDay(new Date(job.starts_at), zone);
    // Per region of the site: a northern job and a southern one do not share their drivers.
    const key = `${day}:${job.equipment_type_id}:${job.region ?? ''}`;
    const g = groups.get(key) ?? {
      day,
      typeId: job.equipment_type_id,
      code: job.code,
      region: job.region,
      jobs: 0,
      drivers: new Set<string>(),
      lost: new Map(),
    };
    g.jobs++;
    for (const id of job.available) g.drivers.add(id);
    for (const l of job.lost)
      g.lost.set(`${l.driverName}:${l.code}`, {
        driverName: l.driverName,
        qualificationCode: l.code,
        expiresOn: localDay(new Date(l.expiresAt), zone),
      });
    groups.set(key, g);
  }
  const problems: QualificationForecast['problems'] = [];
  const sorted = [...groups.values()].sort(
    (a, b) => a.day.localeCompare(b.day) || a.code.localeCompare(b.code) || (a.region ?? '').localeCompare(b.region ?? ''),
  );
  for (const g of sorted) {
    if (g.drivers.size >= g.jobs) continue;
    const expired = [...g.lost.values()];
    const because =
      expired.length > 0
        ? `: ${expired.map((e) => `${e.driverName}'s ${e.qualificationCode} expires on ${sayDay(e.expiresOn)}`).join('; ')}`
        : '';
    problems.push({
      day: g.day,
      equipmentTypeId: g.typeId,
      typeCode: g.code,
      region: g.region,
      jobs: g.jobs,
      qualifiedOnShift: g.drivers.size,
      expired,
      message: `On ${sayDay(g.day)} ${g.jobs} ${g.code} job${g.jobs === 1 ? '' : 's'}${g.region ? ` in ${g.region}` : ''} ha${g.jobs === 1 ? 's' : 've'} ${g.drivers.size} qualified driver${g.drivers.size === 1 ? '' : 's'} on shift${because}.`,
    });
  }
  return {
    from,
    days,
    timeZone: zone,
    expiries: expiries.map((e) => ({
      driverId: e.driver_id,
      driverName: e.driver_name,
      qualificationCode: e.code,
      expiresOn: localDay(new Date(e.expires_at), zone),
    })),
    problems,
  };
}

const csvCell = (v: string | number): string => {
  const s = String(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The forecast as CSV: one line per day and type with too few qualified drivers, then one per expiry. */
export function forecastCsv(f: QualificationForecast): string {
  const lines = [['section', 'day', 'type', 'region', 'jobs', 'qualified_on_shift', 'driver', 'qualification', 'expires_on', 'message']];
  for (const p of f.problems)
    lines.push([
      'shortfall',
      p.day,
      p.typeCode,
      p.region ?? '',
      String(p.jobs),
      String(p.qualifiedOnShift),
      p.expired.map((e) => e.driverName).join('; '),
      p.expired.map((e) => e.qualificationCode).join('; '),
      p.expired.map((e) => e.expiresOn).join('; '),
      p.message,
    ]);
  for (const e of f.expiries) lines.push(['expiry', e.expiresOn, '', '', '', '', e.driverName, e.qualificationCode, e.expiresOn, '']);
  return `${lines.map((l) => l.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/**
 * The ETA as a caller may see it: the whole queue is replayed (other regions' work holds shared
 * machines and drivers too), and the answer lists only the requests at sites in the caller's
 * regions, as the board does.
 */
export async function estimateQueueFor(tx: TenantTx, caller: Caller, zone: string, now = new Date()): Promise<Eta> {
  const eta = await estimateQueue(tx, zone, now);
  if (regionScopeOf(caller) === null || eta.items.length === 0) return eta;
  const visible = await tx
    .selectFrom('dispatches as d')
    .select('d.id')
    .where('d.status', '=', 'queued')
    .where(siteVisibleSql(caller, 'd.site_id'))
    .execute();
  const ids = new Set(visible.map((v) => v.id));
  return { ...eta, items: eta.items.filter((item) => ids.has(item.dispatchId)) };
}
