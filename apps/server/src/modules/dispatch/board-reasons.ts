import { sql } from 'kysely';
import type { TenantTx } from '../../platform/db/index.js';
import { ACTIVE_SQL } from './views.js';

/** Per equipment type with queued work: what it has in service and which qualified drivers are free. */
export type TypeCapacity = {
  type_id: string;
  type_name: string;
  available: number;
  on_jobs: number;
  in_maintenance: number;
  /** Drivers holding every required qualification, unexpired. */
  qualified: number;
  /** Of those, on duty and not on a job. */
  free_drivers: number;
};

/**
 * One round trip for the board's one-line reasons: for each type that has queued work, its
 * machines by status and its qualified drivers (all, and free).
 */
export async function selectQueuedTypeCapacity(tx: TenantTx): Promise<Map<string, TypeCapacity>> {
  const { rows } = await sql<TypeCapacity>`
    with types as (select distinct equipment_type_id as id from dispatches where status = 'queued'),
    people as (
      select t.id as type_id, dr.duty_status, exists (select 1 from dispatches x where x.driver_id = dr.id and x.status in (${ACTIVE_SQL})) as busy
      from types t cross join drivers dr
      where dr.archived_at is null
        and not exists (select 1 from equipment_type_qualifications r where r.equipment_type_id = t.id
          and not exists (select 1 from driver_qualifications q where q.driver_id = dr.id and q.qualification_id = r.qualification_id and (q.expires_at is null or q.expires_at > now())))
    )
    select t.id as type_id, et.name as type_name,
      (select count(*)::int from equipment e where e.equipment_type_id = t.id and e.status = 'available') as available,
      (select count(*)::int from equipment e where e.equipment_type_id = t.id and e.status = 'dispatched') as on_jobs,
      (select count(*)::int from equipment e where e.equipment_type_id = t.id and e.status = 'maintenance') as in_maintenance,
      (select count(*)::int from people p where p.type_id = t.id) as qualified,
      (select count(*)::int from people p where p.type_id = t.id and p.duty_status = 'on_duty' and not p.busy) as free_drivers
    from types t join equipment_types et on et.id = t.id`.execute(tx);
  return new Map(rows.map((r) => [r.type_id, r]));
}

/**
 * The one line a queued card shows: the main reason it waits, as a dispatcher would say it. The
 * full explanation (names, estimate) stays at `/explain`.
 */
export function queuedReason(input: {
  position: number;
  declinedBy: number;
  autoProcessing: boolean;
  capacity: TypeCapacity | undefined;
}): string {
  const { position, declinedBy, autoProcessing, capacity: c } = input;
  if (!autoProcessing) return 'waiting for a dispatcher to assign it: automatic dispatch is off';
  if (!c) return 'waiting for a machine and a driver';
  const type = c.type_name;
  if (c.available === 0) {
    if (c.on_jobs > 0 && c.in_maintenance > 0) return `every ${type} is on a job or in maintenance`;
    if (c.on_jobs > 0) return `every ${type} is on a job`;
    if (c.in_maintenance > 0) return `every ${type} is in maintenance`;
    return `no ${type} in service`;
  }
  if (c.qualified === 0) return `no driver holds a valid qualification for a ${type}`;
  if (c.free_drivers === 0) return `every driver qualified for a ${type} is on a job or off duty`;
  if (declinedBy > 0 && c.free_drivers <= declinedBy) return `declined; waiting for another driver qualified for a ${type}`;
  if (position > 1) return `${position - 1} ahead of it for a ${type}`;
  return 'next to be served';
}
