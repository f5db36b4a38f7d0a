import { sql } from 'kysely';
import type { Explain } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';
import { selectDispatch as loadDispatch } from './dispatch.repo.js';
import { queueScoreSql } from './dispatch.repo.js';
import { readDispatchSettings } from './settings.js';
import { ACTIVE_SQL } from './views.js';

/**
 * Why is this dispatch waiting? Its position among queued requests for the same equipment type
 * (the requests competing for the same resources), what blocks it, and an estimate of when it
 * will be assigned: the n-th soonest expected end among active dispatches of the type, where an
 * active dispatch is expected to last the type's mean busy time over the last 90 days (or 1 hour
 * when there is no history).
 */
export async function explainDispatch(tx: TenantTx, id: string): Promise<Explain> {
  const row = await loadDispatch(tx, id);
  if (!row) throw notFound('dispatch', id);
  const base = { dispatchId: id, status: row.status };
  if (row.status !== 'queued') {
    return { ...base, queuePosition: null, competing: 0, blockers: [], estimatedAssignmentAt: null, estimateBasis: `the dispatch is ${row.status}, not queued` };
  }
  const settings = await readDispatchSettings(tx);
  const ranked = (
    await sql<{ id: string }>`
      select d.id from dispatches d
      where d.status = 'queued' and d.equipment_type_id = ${row.equipment_type_id}
      order by ${queueScoreSql(settings.ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq`.execute(tx)
  ).rows;
  const position = ranked.findIndex((r) => r.id === id) + 1;

  const equipment = (
    await sql<{ status: string; n: number }>`
      select status, count(*)::int as n from equipment where equipment_type_id = ${row.equipment_type_id} group by status`.execute(tx)
  ).rows;
  const count = (status: string): number => equipment.find((e) => e.status === status)?.n ?? 0;
  const drivers = (
    await sql<{ busy: number; off_duty: number; expired: number; free: number }>`
      with req as (select qualification_id from equipment_type_qualifications where equipment_type_id = ${row.equipment_type_id}),
      qualified as (
        select dr.id, dr.duty_status,
          exists (select 1 from dispatches x where x.driver_id = dr.id and x.status in (${ACTIVE_SQL})) as busy,
          not exists (select 1 from req where not exists (select 1 from driver_qualifications dq where dq.driver_id = dr.id and dq.qualification_id = req.qualification_id)) as holds_all,
          not exists (select 1 from req where not exists (select 1 from driver_qualifications dq where dq.driver_id = dr.id and dq.qualification_id = req.qualification_id and (dq.expires_at is null or dq.expires_at > now()))) as valid_all
        from drivers dr where dr.archived_at is null
      )
      select
        count(*) filter (where valid_all and busy)::int as busy,
        count(*) filter (where valid_all and not busy and duty_status = 'off_duty')::int as off_duty,
        count(*) filter (where holds_all and not valid_all)::int as expired,
        count(*) filter (where valid_all and not busy and duty_status = 'on_duty')::int as free
      from qualified`.execute(tx)
  ).rows[0] ?? { busy: 0, off_duty: 0, expired: 0, free: 0 };

  const blockers: Explain['blockers'] = [];
  if (position > 1) blockers.push({ kind: 'queue', message: `${position - 1} request(s) for this equipment type are ahead of it`, count: position - 1 });
  if (count('available') === 0) {
    if (count('dispatched') > 0) blockers.push({ kind: 'equipment_busy', message: `all ${count('dispatched')} in-service unit(s) of this type are on jobs`, count: count('dispatched') });
    if (count('maintenance') > 0) blockers.push({ kind: 'equipment_maintenance', message: `${count('maintenance')} unit(s) of this type are in maintenance`, count: count('maintenance') });
  }
  if (drivers.free === 0) {
    if (drivers.busy > 0) blockers.push({ kind: 'drivers_busy', message: `${drivers.busy} qualified driver(s) are on other jobs`, count: drivers.busy });
    if (drivers.off_duty > 0) blockers.push({ kind: 'drivers_off_duty', message: `${drivers.off_duty} qualified driver(s) are off duty`, count: drivers.off_duty });
    if (drivers.expired > 0) blockers.push({ kind: 'qualification_expired', message: `${drivers.expired} driver(s) hold a required qualification that has expired`, count: drivers.expired });
    if (drivers.busy + drivers.off_duty === 0) blockers.push({ kind: 'no_qualified_driver', message: 'no driver holds every qualification this equipment needs', count: 0 });
  }
  if (!settings.autoProcessing) blockers.push({ kind: 'auto_processing_off', message: 'automatic queue processing is off: a dispatcher must pick the resources', count: 0 });

  const mean = (
    await sql<{ seconds: number | null }>`
      select avg(extract(epoch from (coalesce(completed_at, recalled_at) - dispatched_at)))::float8 as seconds
      from dispatches where equipment_type_id = ${row.equipment_type_id} and status in ('completed', 'recalled')
        and dispatched_at > now() - interval '90 days'`.execute(tx)
  ).rows[0]?.seconds;
  const expected = mean ?? 3600;
  const ends = (
    await sql<{ dispatched_at: Date }>`
      select dispatched_at from dispatches where equipment_type_id = ${row.equipment_type_id}
        and status in (${ACTIVE_SQL}) order by dispatched_at`.execute(tx)
  ).rows.map((r) => Math.max(Date.now(), r.dispatched_at.getTime() + expected * 1000));
  ends.sort((a, b) => a - b);
  const nth = ends[position - 1];
  const basis = mean === null || mean === undefined ? 'no finished dispatches of this type in 90 days: assumes 1 hour per job' : `mean job length of this type over 90 days: ${Math.round(expected / 60)} min`;
  return {
    ...base,
    queuePosition: position,
    competing: ranked.length,
    blockers,
    estimatedAssignmentAt: nth !== undefined && drivers.free + drivers.busy > 0 ? new Date(nth).toISOString() : null,
    estimateBasis: nth === undefined ? 'not enough active jobs of this type to estimate when one frees up' : basis,
  };
}
