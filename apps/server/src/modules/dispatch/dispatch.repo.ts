import { sql, type UpdateObject } from 'kysely';
import type { DispatchSettings, DispatchStatus, Priority } from '@yardmaster/contracts';
import type { TenantTables, TenantTx } from '../../platform/db/index.js';
import { freeEquipmentOfType, freeQualifiedDriver } from './candidates.js';
import { dispatchSettings } from './settings.js';
import type { DriverFacts, EquipmentFacts } from './assign-rules.js';
import { ACTIVE_SQL, type DispatchRow } from './views.js';
import { driverAvailableNowSql, equipmentAvailableNowSql } from '../availability/index.js';
import { crossRegionAllowedSql, regionLaneSql, regionLanesApartSql, regionMatchSql } from '../regions/index.js';

/**
 * Every SQL statement of the dispatch engine. Use cases call these; nothing else in the module
 * writes SQL. Hot-path statements are written to need one round trip each: locks, reads and writes
 * that belong together travel as one statement (CTEs, RETURNING).
 */

export type LoadedDispatch = DispatchRow & { work_order_number: string };

const PRIORITY_POINTS = { urgent: 200, standard: 100, low: 0 } as const satisfies Record<Priority, number>;

/** The SQL score of a queued dispatch `d`: priority points plus optional ageing points per minute waited. */
export function queueScoreSql(ageingPointsPerMinute: number) {
  return sql<number>`(case d.priority when 'urgent' then ${PRIORITY_POINTS.urgent}::float8 when 'standard' then ${PRIORITY_POINTS.standard}::float8 else 0::float8 end)
    + ${ageingPointsPerMinute}::float8 * extract(epoch from (now() - d.queued_at)) / 60`;
}

const settingsOf = (value: Partial<DispatchSettings> | null | undefined): DispatchSettings => dispatchSettings.parse(value);

/**
 * The tenant's dispatch write-order lock (the work-order counter row) and its dispatch settings, in
 * one round trip. Every dispatch command takes it first, so queue matching sees a queue that cannot
 * change under it; other modules' writers never take it (their capacity changes are matched after
 * they commit), and the audit chain is locked only at the very end of each transaction.
 */
export async function lockDispatchQueue(tx: TenantTx): Promise<DispatchSettings> {
  const { rows } = await sql<{ settings: Partial<DispatchSettings> | null }>`
    select (select value from tenant_settings where key = 'dispatch') as settings from work_order_counter for update`.execute(tx);
  return settingsOf(rows[0]?.settings);
}

/** select d.*, w.number from dispatches d join work_orders w … where d.id = $1 [for update of d] */
export async function selectDispatch(tx: TenantTx, id: string, lock = false): Promise<LoadedDispatch | undefined> {
  let query = tx
    .selectFrom('dispatches as d')
    .innerJoin('work_orders as w', 'w.id', 'd.work_order_id')
    .selectAll('d')
    .select('w.number as work_order_number')
    .where('d.id', '=', id);
  if (lock) query = query.forUpdate('d');
  return query.executeTakeFirst();
}

export type ChangedDispatch = LoadedDispatch & { sibling_statuses: DispatchStatus[]; work_order_status: string; queue_waiting: boolean };

/**
 * Updates one dispatch (version + 1) and returns it as the API shows it, with the statuses of its
 * work order's other dispatches, the work order's stored status (to derive the new one) and whether
 * any request waits in the queue: one round trip. The caller holds the queue lock, taken by an
 * earlier statement, so this statement's snapshot already sees every queue change committed before
 * the lock was granted (a statement that waited for the lock would not), and nothing can change it
 * until commit.
 */
export async function updateDispatch(
  tx: TenantTx,
  id: string,
  changes: UpdateObject<TenantTables, 'dispatches', 'dispatches'>,
): Promise<ChangedDispatch> {
  const row = await tx
    .with('u', (db) =>
      db
        .updateTable('dispatches')
        .set((eb) => ({ ...changes, version: eb('version', '+', 1), updated_at: sql<Date>`now()` }))
        .where('id', '=', id)
        .returningAll(),
    )
    .selectFrom('u')
    .innerJoin('work_orders as w', 'w.id', 'u.work_order_id')
    .selectAll('u')
    .select(['w.number as work_order_number', 'w.status as work_order_status'])
    .select(
      sql<DispatchStatus[]>`array(select x.status from dispatches x where x.work_order_id = u.work_order_id and x.id <> u.id)`.as(
        'sibling_statuses',
      ),
    )
    .select(sql<boolean>`exists (select 1 from dispatches q where q.status = 'queued')`.as('queue_waiting'))
    .executeTakeFirst();
  if (!row) throw new Error(`dispatch ${id} vanished`);
  return row;
}

export type NewDispatch = {
  workOrderId: string;
  lineId: string;
  equipmentTypeId: string;
  requestedEquipmentId: string | null;
  siteId: string;
  priority: Priority;
  requestedStart: Date;
  scheduled: boolean;
  replaces?: string;
};

/** insert into dispatches … returning * (queued ones get their queue time and sequence now) */
export async function insertDispatches(tx: TenantTx, rows: readonly NewDispatch[]): Promise<DispatchRow[]> {
  if (rows.length === 0) return [];
  return tx
    .insertInto('dispatches')
    .values(
      rows.map((d) => ({
        work_order_id: d.workOrderId,
        line_id: d.lineId,
        equipment_type_id: d.equipmentTypeId,
        requested_equipment_id: d.requestedEquipmentId,
        site_id: d.siteId,
        priority: d.priority,
        status: d.scheduled ? ('scheduled' as const) : ('queued' as const),
        requested_start: d.requestedStart,
        queued_at: d.scheduled ? null : sql<Date>`clock_timestamp()`,
        queue_seq: d.scheduled ? null : sql<number>`nextval('dispatch_queue_seq')`,
        replaces_dispatch_id: d.replaces ?? null,
      })),
    )
    .returningAll()
    .execute();
}

/** update work_orders set status = $2 where id = $1 and status <> $2 */
export async function setWorkOrderStatus(
  tx: TenantTx,
  workOrderId: string,
  status: 'pending' | 'assigned' | 'completed' | 'cancelled',
): Promise<void> {
  await tx
    .updateTable('work_orders')
    .set({ status, updated_at: new Date() })
    .where('id', '=', workOrderId)
    .where('status', '<>', status)
    .execute();
}

export type QueuedRequest = {
  id: string;
  equipment_type_id: string;
  requested_equipment_id: string | null;
  declined_driver_ids: string[];
  required: string[];
  /** REGIONS: the request's matching lane (modules/regions `regionLaneSql`): '' unless regions keep it apart. */
  lane: string;
};

/**
 * The part of the queue that can possibly be served now, in fair order (score, queue time,
 * sequence), with each request's required qualifications and the demand for each qualification
 * (by the whole queue, and by the fleet's equipment types) that keeps scarce skills free: one round
 * trip. Restricted to the types a change can serve (null: every type) and, per type, to as many
 * requests as the type has free machines (a request for a specific machine: the first one asking
 * for it, if it is free); requests some driver declined are all kept (rare), as each can fail
 * where the next succeeds. So a long queue that cannot move costs nothing here.
 */
export async function selectQueue(
  tx: TenantTx,
  scope: { typeIds: readonly string[] | null; freedDriverId?: string },
  ageingPointsPerMinute: number,
): Promise<{ queue: QueuedRequest[]; demand: Record<string, [number, number]> }> {
  const typeIds = scope.typeIds;
  // Requests of the given types, or of any type the freed driver holds every unexpired ticket for.
  const inScope =
    typeIds === null
      ? sql``
      : scope.freedDriverId
        ? sql`and (d.equipment_type_id = any(${[...typeIds]}::uuid[]) or not exists (
            select 1 from equipment_type_qualifications r where r.equipment_type_id = d.equipment_type_id
              and not exists (select 1 from driver_qualifications dq where dq.driver_id = ${scope.freedDriverId} and dq.qualification_id = r.qualification_id
                and (dq.expires_at is null or dq.expires_at > now()))))`
        : sql`and d.equipment_type_id = any(${[...typeIds]}::uuid[])`;
  const { rows } = await sql<{ queue: QueuedRequest[] | null; demand: Record<string, [number, number]> | null }>`
    -- Whether regions keep matching lanes apart (then every request's site region matters).
    with apart as materialized (select ${regionLanesApartSql} as yes),
    -- The types that have requests waiting (in scope), and how many: read off the queue's index.
    queued_types as materialized (
      select d.equipment_type_id, count(*)::int as waiting from dispatches d where d.status = 'queued' ${inScope} group by d.equipment_type_id
    ),
    -- Their free machines, per region. Counted only up to the number waiting (all a pass can use),
    -- unless lanes are apart (then each region's count matters): a fleet of thousands of free
    -- machines is not counted on every pass.
    free as materialized (
      select t.equipment_type_id, f.region, count(*)::int as n
      from queued_types t
      cross join lateral (
        select e.region from equipment e where e.equipment_type_id = t.equipment_type_id and ${freeEquipmentOfType('e')}
        limit case when (select yes from apart) then null else t.waiting end
      ) f
      group by t.equipment_type_id, f.region
    ),
    -- One lane (no regions, or matching across them; every region then matches): per type only the
    -- requests it can serve, from one ordered read of that type's queue, no lookups per request. So a
    -- long queue costs a sort of its type's rows, not a join and a window over all of them.
    one_lane_q as (
      select c.* from (select equipment_type_id, sum(n)::int as n from free group by equipment_type_id) ft
      cross join lateral (
        (select d.id, d.equipment_type_id, d.requested_equipment_id, d.declined_driver_ids, ft.n as free_units, ''::text as lane,
            ${queueScoreSql(ageingPointsPerMinute)} as score, d.queued_at, d.queue_seq
          from dispatches d
          where not (select yes from apart) and d.status = 'queued' and d.equipment_type_id = ft.equipment_type_id ${inScope}
            and d.requested_equipment_id is null and cardinality(d.declined_driver_ids) = 0
          order by ${queueScoreSql(ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq
          limit ft.n)
        union all
        (select d.id, d.equipment_type_id, d.requested_equipment_id, d.declined_driver_ids, ft.n, '',
            ${queueScoreSql(ageingPointsPerMinute)}, d.queued_at, d.queue_seq
          from dispatches d
          where not (select yes from apart) and d.status = 'queued' and d.equipment_type_id = ft.equipment_type_id ${inScope}
            and d.requested_equipment_id is null and cardinality(d.declined_driver_ids) > 0)
        union all
        (select distinct on (d.requested_equipment_id, cardinality(d.declined_driver_ids) > 0)
            d.id, d.equipment_type_id, d.requested_equipment_id, d.declined_driver_ids, ft.n, '',
            ${queueScoreSql(ageingPointsPerMinute)}, d.queued_at, d.queue_seq
          from dispatches d
          where not (select yes from apart) and d.status = 'queued' and d.equipment_type_id = ft.equipment_type_id ${inScope}
            and d.requested_equipment_id is not null
            and exists (select 1 from equipment e where e.id = d.requested_equipment_id and ${freeEquipmentOfType('e')})
          order by d.requested_equipment_id, cardinality(d.declined_driver_ids) > 0, ${queueScoreSql(ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq)
      ) c
    ),
    -- Lanes apart: requests of types with a free machine at all, each with its site's region.
    waiting as (
      select d.id, d.equipment_type_id, d.requested_equipment_id, d.declined_driver_ids, d.priority, d.queued_at, d.queue_seq, st.region as site_region
      from dispatches d left join sites st on st.id = d.site_id
      where (select yes from apart) and d.status = 'queued' ${inScope} and d.equipment_type_id in (select equipment_type_id from free)
    ),
    -- REGIONS (modules/regions): the free machines of the type that may serve this request's site,
    -- and its lane.
    laned as (
      select w.*, ${regionLaneSql(sql`w.site_region`)} as lane,
        (select coalesce(sum(f.n), 0)::int from free f where f.equipment_type_id = w.equipment_type_id and ${regionMatchSql(sql`w.site_region`, sql`f.region`)}) as n
      from waiting w
    ),
    ranked as (
      select d.id, d.equipment_type_id, d.requested_equipment_id, d.declined_driver_ids, d.n as free_units, d.lane,
        ${queueScoreSql(ageingPointsPerMinute)} as score, d.queued_at, d.queue_seq,
        row_number() over (partition by d.equipment_type_id, d.lane, d.requested_equipment_id, cardinality(d.declined_driver_ids) > 0
          order by ${queueScoreSql(ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq) as rank
      from laned d
      where d.n > 0
    ),
    lanes_apart_q as (
      select id, equipment_type_id, requested_equipment_id, declined_driver_ids, free_units, lane, score, queued_at, queue_seq from ranked
      where (requested_equipment_id is null and (rank <= free_units or cardinality(declined_driver_ids) > 0))
         or (requested_equipment_id is not null and rank = 1 and exists (select 1 from equipment e where e.id = ranked.requested_equipment_id and ${freeEquipmentOfType('e')}))
    ),
    q as (
      select * from (select * from one_lane_q union all select * from lanes_apart_q) x
      order by score desc, queued_at, queue_seq
      limit 2000
    ),
    queue_need as (
      select r.qualification_id, sum(c.n)::int as n
      from (select d.equipment_type_id, count(*) as n from dispatches d where d.status = 'queued' group by d.equipment_type_id) c
      join equipment_type_qualifications r on r.equipment_type_id = c.equipment_type_id
      group by r.qualification_id
    ),
    -- Per requirement one probe of (type, status) for a machine in service (not a scan of the fleet).
    fleet_need as (
      select r.qualification_id, count(distinct r.equipment_type_id)::int as n from equipment_type_qualifications r
      where (select true from equipment e where e.equipment_type_id = r.equipment_type_id and e.status <> 'retired' limit 1)
      group by r.qualification_id
    )
    select
      (select json_agg(json_build_object(
          'id', q.id, 'equipment_type_id', q.equipment_type_id, 'requested_equipment_id', q.requested_equipment_id,
          'declined_driver_ids', q.declined_driver_ids, 'lane', q.lane,
          'required', array(select r.qualification_id from equipment_type_qualifications r where r.equipment_type_id = q.equipment_type_id))
        order by q.score desc, q.queued_at, q.queue_seq) from q) as queue,
      case when exists (select 1 from q) then
        (select json_object_agg(k.qualification_id, json_build_array(coalesce(qn.n, 0), coalesce(fn.n, 0)))
          from (select qualification_id from queue_need union select qualification_id from fleet_need) k
          left join queue_need qn on qn.qualification_id = k.qualification_id
          left join fleet_need fn on fn.qualification_id = k.qualification_id) end as demand`.execute(tx);
  return { queue: rows[0]?.queue ?? [], demand: rows[0]?.demand ?? {} };
}

/** How many free qualified drivers (longest idle first) a pick ranks finely. */
const DRIVER_POOL = 200;

/**
 * Picks the best free equipment and the best free qualified driver for one queued request IN SQL,
 * locks both (`FOR UPDATE SKIP LOCKED`: a row another transaction is changing is passed over, never
 * waited for) and reserves the equipment, in one round trip. Equipment: the specific piece asked
 * for, else nearest to the site, then longest idle. Driver: every required qualification unexpired,
 * not a decliner; among the 200 longest idle of those, nearest first, then the one whose other
 * qualifications are least wanted by the queue, then by the fleet's equipment types (scarce skills
 * stay free), then longest idle.
 *
 * REGIONS: when regions keep matching lanes apart, a request in one lane can reach a machine and a
 * driver that came free during this pass and that an older request in another lane could also use
 * (that request had already been passed over, or was not in this pass's part of the queue). The
 * pair then goes to the first such request in queue order: `claimantId` names who gets it (the
 * request itself when nobody older may use the pair).
 */
export async function reserveBestPair(
  tx: TenantTx,
  request: QueuedRequest,
  demand: Record<string, [number, number]>,
  ageingPointsPerMinute: number,
  onlyDriverIds: readonly string[] | null = null,
): Promise<{ equipmentId: string | null; driverId: string | null; reserved: boolean; claimantId: string }> {
  const distance = (lat: ReturnType<typeof sql.ref>, lng: ReturnType<typeof sql.ref>) =>
    sql`case when ${lat} is null or s.lat is null then 'Infinity'::float8 else
      12742 * asin(sqrt(power(sin(radians(s.lat - ${lat}) / 2), 2) + cos(radians(${lat})) * cos(radians(s.lat)) * power(sin(radians(s.lng - ${lng}) / 2), 2))) end`;
  // The job's expected length for the planning predicate: its type's mean over 90 days (1 hour
  // without history), evaluated only when a planned driver or a maintenance window asks for it.
  const need = sql<number>`(select coalesce(avg(extract(epoch from (coalesce(completed_at, recalled_at) - dispatched_at))), 3600)::float8
    from dispatches where equipment_type_id = ${request.equipment_type_id} and status in ('completed', 'recalled') and dispatched_at > now() - interval '90 days')`;
  const { rows } = await sql<{ equipment_id: string | null; driver_id: string | null; reserved: string | null; claimant: string | null }>`
    with s as (select st.lat, st.lng, st.region from dispatches d join sites st on st.id = d.site_id where d.id = ${request.id}),
    demand as (select key::uuid as qualification_id, (value->>0)::int as queue_n, (value->>1)::int as fleet_n from jsonb_each(${JSON.stringify(demand)}::jsonb)),
    eq as (
      select e.id, e.region from equipment e left join s on true
      where ${freeEquipmentOfType('e', { typeId: request.equipment_type_id })}
        ${request.requested_equipment_id ? sql`and e.id = ${request.requested_equipment_id}` : sql``}
        -- PLANNING PREDICATE (modules/availability): no planned maintenance window during the job.
        and ${equipmentAvailableNowSql(sql.ref('e.id'), need)}
        and ${regionMatchSql(sql`(select s.region from s)`, sql`e.region`)} -- REGIONS: modules/regions' matching predicate
      order by ${distance(sql.ref('e.lat'), sql.ref('e.lng'))}, e.idle_since, e.id
      limit 1 for update of e skip locked
    ),
    -- Materialized: computed once. Inlined, the duty re-check on the locking level below let the
    -- planner re-run the pool per driver (a pick took 318 ms instead of 5).
    pool as materialized (
      -- The longest-idle free qualified drivers (at most DRIVER_POOL): the finer ordering below is
      -- computed for these only, so the cost of a pick does not grow with the size of the fleet.
      select dr.id from drivers dr
      where ${freeQualifiedDriver('dr', { required: request.required, declined: request.declined_driver_ids })}
        and ${regionMatchSql(sql`(select s.region from s)`, sql`dr.region`)} -- REGIONS: modules/regions' matching predicate
        ${onlyDriverIds ? sql`and dr.id = any(${[...onlyDriverIds]}::uuid[])` : sql``}
        -- PLANNING PREDICATE (modules/availability): inside a shift, not on leave, no overtime unless allowed.
        and ${driverAvailableNowSql(sql.ref('dr.id'), need)}
        and exists (select 1 from eq)
      order by dr.idle_since, dr.id
      limit ${DRIVER_POOL}
    ),
    dr as (
      -- Duty is checked again here, on the row being locked: a driver who went off duty after this
      -- statement's snapshot is re-read when locked, and only this level's conditions are re-checked.
      select dr.id, dr.region from drivers dr join pool on pool.id = dr.id left join s on true
      where dr.duty_status = 'on_duty' and dr.archived_at is null
      order by ${distance(sql.ref('dr.lat'), sql.ref('dr.lng'))},
        (select coalesce(sum(m.queue_n), 0) from driver_qualifications dq join demand m on m.qualification_id = dq.qualification_id
          where dq.driver_id = dr.id and not (dq.qualification_id = any(${request.required}::uuid[])) and (dq.expires_at is null or dq.expires_at > now())),
        (select coalesce(sum(m.fleet_n), 0) from driver_qualifications dq join demand m on m.qualification_id = dq.qualification_id
          where dq.driver_id = dr.id and not (dq.qualification_id = any(${request.required}::uuid[])) and (dq.expires_at is null or dq.expires_at > now())),
        dr.idle_since, dr.id
      limit 1 for update of dr skip locked
    ),
    reserved as (
      update equipment set status = 'dispatched', updated_at = now()
      where id = (select id from eq) and exists (select 1 from dr) returning id
    )${
      request.requested_equipment_id
        ? sql``
        : sql`,
    -- REGIONS: the first request in queue order, older than this one, that may use the reserved pair.
    claimant as (
      select d.id from dispatches d join sites st on st.id = d.site_id
      where ${regionLanesApartSql} and exists (select 1 from reserved)
        and d.status = 'queued' and d.equipment_type_id = ${request.equipment_type_id} and d.requested_equipment_id is null
        and d.id <> ${request.id} and not ((select id from dr) = any(d.declined_driver_ids))
        and ${regionMatchSql(sql`st.region`, sql`(select region from eq)`)} and ${regionMatchSql(sql`st.region`, sql`(select region from dr)`)}
        and (-(${queueScoreSql(ageingPointsPerMinute)}), d.queued_at, d.queue_seq)
          < (select -(${queueScoreSql(ageingPointsPerMinute)}), d.queued_at, d.queue_seq from dispatches d where d.id = ${request.id})
      order by ${queueScoreSql(ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq
      limit 1
    )`
    }
    select (select id from eq) as equipment_id, (select id from dr) as driver_id, (select id from reserved) as reserved,
      ${request.requested_equipment_id ? sql`null::uuid` : sql`(select id from claimant)`} as claimant`.execute(tx);
  const row = rows[0];
  return {
    equipmentId: row?.equipment_id ?? null,
    driverId: row?.driver_id ?? null,
    reserved: row?.reserved != null,
    claimantId: row?.claimant ?? request.id,
  };
}

/** The names and places a finished dispatch's status report records (read with the dispatch, `lockQueueAndDispatch`). */
export type ReportContext = {
  wo_description: string;
  site_name: string | null;
  site_address: string | null;
  asset_tag: string | null;
  equipment_name: string | null;
  type_code: string | null;
  type_name: string | null;
  driver_name: string | null;
};

/**
 * CTEs that free a finished dispatch's machine (unless it went to maintenance meanwhile) and driver
 * (idle from now): written into the statement that records its status report, so both cost one
 * round trip.
 */
export const releaseCtes = (equipmentId: string, driverId: string) => sql`
  released as (update equipment set status = 'available', idle_since = now(), updated_at = now() where id = ${equipmentId} and status = 'dispatched' returning id),
  idle as (update drivers set idle_since = now() where id = ${driverId} returning id)`;

/**
 * Frees a finished dispatch's equipment (unless it went to maintenance meanwhile) and its driver
 * (idle from now), in one round trip.
 */
export async function releaseResources(tx: TenantTx, equipmentId: string, driverId: string): Promise<void> {
  await sql`
    with e as (update equipment set status = 'available', idle_since = now(), updated_at = now() where id = ${equipmentId} and status = 'dispatched' returning id)
    update drivers set idle_since = now() where id = ${driverId}`.execute(tx);
}

/** Scheduled dispatches whose start (minus the lead time) has come, locked (skip those being changed). */
export async function lockDueScheduled(tx: TenantTx, leadMinutes: number): Promise<string[]> {
  const rows = await tx
    .selectFrom('dispatches')
    .select('id')
    .where('status', '=', 'scheduled')
    .where('requested_start', '<=', sql<Date>`now() + make_interval(mins => ${leadMinutes})`)
    .orderBy('requested_start')
    .limit(1000)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((r) => r.id);
}

/** Whether any scheduled dispatch is due (the sweeper's cheap check before taking the queue lock). */
export async function hasDueScheduled(tx: TenantTx, leadMinutes: number): Promise<boolean> {
  const { rows } = await sql<{ due: boolean }>`
    select exists (select 1 from dispatches where status = 'scheduled' and requested_start <= now() + make_interval(mins => ${leadMinutes})) as due`.execute(
    tx,
  );
  return rows[0]?.due ?? false;
}

/** The equipment types whose requests a driver (by their unexpired qualifications) could serve. */
export async function selectTypesServableBy(tx: TenantTx, driverId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select t.id from equipment_types t
    where not exists (
      select 1 from equipment_type_qualifications r where r.equipment_type_id = t.id
        and not exists (select 1 from driver_qualifications dq where dq.driver_id = ${driverId} and dq.qualification_id = r.qualification_id
          and (dq.expires_at is null or dq.expires_at > now())))`.execute(tx);
  return rows.map((r) => r.id);
}

/** The equipment types that require a qualification. */
export async function selectTypesRequiring(tx: TenantTx, qualificationIds: readonly string[]): Promise<string[]> {
  if (qualificationIds.length === 0) return [];
  const { rows } = await sql<{ id: string }>`
    select distinct equipment_type_id as id from equipment_type_qualifications where qualification_id = any(${[...qualificationIds]}::uuid[])`.execute(
    tx,
  );
  return rows.map((r) => r.id);
}

/**
 * The queue lock and settings, then the dispatch row locked, in one round trip (the lock order is
 * always queue first: the counter row is read by the join before the dispatch row is locked).
 */
export async function lockQueueAndDispatch(
  tx: TenantTx,
  id: string,
): Promise<{ settings: DispatchSettings; row: LoadedDispatch | undefined; context: ReportContext }> {
  // With it: the names its status report would record (they do not change while the row is locked).
  const { rows } = await sql<LoadedDispatch & ReportContext & { dispatch_settings: Partial<DispatchSettings> | null }>`
    with q as materialized (select (select value from tenant_settings where key = 'dispatch') as settings from work_order_counter for update)
    select d.*, w.number as work_order_number, q.settings as dispatch_settings,
      w.description as wo_description, s.name as site_name, s.address as site_address,
      e.asset_tag, e.name as equipment_name, t.code as type_code, t.name as type_name, dr.name as driver_name
    from q, dispatches d join work_orders w on w.id = d.work_order_id
      left join sites s on s.id = d.site_id
      left join equipment e on e.id = d.equipment_id
      left join equipment_types t on t.id = e.equipment_type_id
      left join drivers dr on dr.id = d.driver_id
    where d.id = ${id}
    for update of d`.execute(tx);
  const found = rows[0];
  if (!found) return { settings: await lockDispatchQueue(tx), row: undefined, context: NO_CONTEXT };
  const {
    dispatch_settings,
    wo_description,
    site_name,
    site_address,
    asset_tag,
    equipment_name,
    type_code,
    type_name,
    driver_name,
    ...row
  } = found;
  const context = { wo_description, site_name, site_address, asset_tag, equipment_name, type_code, type_name, driver_name };
  return { settings: settingsOf(dispatch_settings), row, context };
}

const NO_CONTEXT: ReportContext = {
  wo_description: '',
  site_name: null,
  site_address: null,
  asset_tag: null,
  equipment_name: null,
  type_code: null,
  type_name: null,
  driver_name: null,
};

export type LineCheck = {
  type_code: string | null;
  type_usable: boolean;
  usable_units: number;
  equipment_tag: string | null;
  equipment_type_id: string | null;
  equipment_retired: boolean | null;
};

/** Everything a new work order refers to, checked in one round trip: the site, each line's type and machine. */
export async function checkWorkOrderReferences(
  tx: TenantTx,
  siteId: string,
  lines: ReadonlyArray<{ equipmentTypeId: string; equipmentId?: string | null }>,
): Promise<{ siteActive: boolean | null; lines: LineCheck[]; lastNumber: number; settings: DispatchSettings }> {
  // The checks, the queue lock, the next work-order number and the settings: one round trip (a
  // refusal rolls the number back with the transaction).
  const { rows } = await sql<{
    site_active: boolean | null;
    lines: LineCheck[] | null;
    last_number: number;
    settings: Partial<DispatchSettings> | null;
  }>`
    update work_order_counter set last_number = last_number + 1
    returning last_number, (select value from tenant_settings where key = 'dispatch') as settings,
      (select active from sites where id = ${siteId}) as site_active,
      (select json_agg(json_build_object(
          'type_code', t.code, 'type_usable', t.id is not null and t.archived_at is null,
          'usable_units', (select count(*) from equipment u where u.equipment_type_id = l.type_id and u.status <> 'retired'),
          'equipment_tag', e.asset_tag, 'equipment_type_id', e.equipment_type_id, 'equipment_retired', e.status = 'retired') order by l.ord)
        from unnest(${lines.map((l) => l.equipmentTypeId)}::uuid[], ${lines.map((l) => l.equipmentId ?? null)}::uuid[]) with ordinality as l(type_id, equipment_id, ord)
        left join equipment_types t on t.id = l.type_id
        left join equipment e on e.id = l.equipment_id) as lines`.execute(tx);
  const row = rows[0];
  if (!row) throw new Error('work_order_counter row is missing');
  return { siteActive: row.site_active, lines: row.lines ?? [], lastNumber: Number(row.last_number), settings: settingsOf(row.settings) };
}

export type WorkOrderRow = Awaited<ReturnType<typeof selectWorkOrderRow>> & object;
export type LineRow = { id: string; line_no: number; equipment_type_id: string; quantity: number; equipment_id: string | null };

export async function selectWorkOrderRow(tx: TenantTx, id: string, lock = false) {
  let q = tx.selectFrom('work_orders').selectAll().where('id', '=', id);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** insert into work_orders … ; insert into work_order_lines … — one round trip, the lines as JSON. */
export async function insertWorkOrderWithLines(
  tx: TenantTx,
  wo: {
    number: string;
    siteId: string;
    description: string;
    priority: Priority;
    requestedStart: Date;
    dueAt: Date | null;
    notes: string | null;
    createdBySubject: string;
    createdByName: string;
  },
  lines: ReadonlyArray<{ equipmentTypeId: string; quantity: number; equipmentId?: string | null }>,
  scheduled: boolean,
): Promise<{ workOrder: WorkOrderRow; lines: LineRow[]; dispatches: DispatchRow[] }> {
  // The work order, its lines and one dispatch per unit: one round trip. The dispatches come back as
  // the statement's rows (typed), the work order and lines as JSON beside them.
  const { rows } = await sql<DispatchRow & { wo: Record<string, unknown>; lines: LineRow[] }>`
    with wo as (
      insert into work_orders (number, site_id, description, priority, requested_start, due_at, notes, created_by_subject, created_by_name)
      values (${wo.number}, ${wo.siteId}, ${wo.description}, ${wo.priority}, ${wo.requestedStart}, ${wo.dueAt}, ${wo.notes}, ${wo.createdBySubject}, ${wo.createdByName})
      returning *
    ),
    l as (
      insert into work_order_lines (work_order_id, line_no, equipment_type_id, quantity, equipment_id)
      select wo.id, x.ord, x.type_id, x.quantity, x.equipment_id
      from wo, unnest(${lines.map((l) => l.equipmentTypeId)}::uuid[], ${lines.map((l) => l.quantity)}::int[], ${lines.map((l) => l.equipmentId ?? null)}::uuid[])
        with ordinality as x(type_id, quantity, equipment_id, ord)
      returning id, line_no, equipment_type_id, quantity, equipment_id
    ),
    d as (
      insert into dispatches (work_order_id, line_id, equipment_type_id, requested_equipment_id, site_id, priority, status, requested_start, queued_at, queue_seq)
      select wo.id, l.id, l.equipment_type_id, l.equipment_id, wo.site_id, wo.priority, ${scheduled ? 'scheduled' : 'queued'}, wo.requested_start,
        ${scheduled ? sql`null` : sql`clock_timestamp()`}, ${scheduled ? sql`null` : sql`nextval('dispatch_queue_seq')`}
      from wo, l, generate_series(1, l.quantity) as unit
      order by l.line_no, unit
      returning *
    )
    select d.*, (select row_to_json(wo) from wo) as wo, (select json_agg(l order by l.line_no) from l) as lines
    from d order by d.created_at, d.id`.execute(tx);
  const first = rows[0];
  if (!first) throw new Error('work order insert returned nothing');
  const w = first.wo;
  const date = (v: unknown): Date => new Date(String(v));
  const workOrder = {
    ...(w as WorkOrderRow),
    requested_start: date(w.requested_start),
    due_at: w.due_at === null ? null : date(w.due_at),
    created_at: date(w.created_at),
    updated_at: date(w.updated_at),
  } as WorkOrderRow;
  return { workOrder, lines: first.lines, dispatches: rows.map(({ wo: _wo, lines: _lines, ...d }) => d) };
}

/** A work order's lines and dispatch ids, one round trip (the view's details). */
export async function selectWorkOrderDetails(
  tx: TenantTx,
  ids: readonly string[],
): Promise<Map<string, { lines: LineRow[]; dispatchIds: string[] }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ id: string; lines: LineRow[] | null; dispatch_ids: string[] }>`
    select w.id,
      (select json_agg(json_build_object('id', l.id, 'line_no', l.line_no, 'equipment_type_id', l.equipment_type_id, 'quantity', l.quantity, 'equipment_id', l.equipment_id) order by l.line_no)
        from work_order_lines l where l.work_order_id = w.id) as lines,
      array(select d.id from dispatches d where d.work_order_id = w.id order by d.created_at, d.id) as dispatch_ids
    from work_orders w where w.id = any(${[...ids]}::uuid[])`.execute(tx);
  return new Map(rows.map((r) => [r.id, { lines: r.lines ?? [], dispatchIds: r.dispatch_ids }]));
}

export type ManualPickCheck = {
  equipment_id: string | null;
  asset_tag: string | null;
  equipment_status: string | null;
  equipment_type_id: string | null;
  driver_id: string | null;
  driver_name: string | null;
  duty_status: string | null;
  driver_archived: boolean | null;
  busy_on: string | null;
  missing: Array<{ code: string; expired_on: string | null }> | null;
};

/**
 * A dispatcher's pick, locked and checked in one round trip: the machine (its status and type), the
 * driver (duty, archived, the work order they are busy on) and each required qualification the
 * driver lacks or holds expired (with the expiry date).
 */
export async function lockManualPick(tx: TenantTx, typeId: string, equipmentId: string, driverId: string): Promise<ManualPickCheck> {
  const { rows } = await sql<ManualPickCheck>`
    with e as (select id, asset_tag, status, equipment_type_id from equipment where id = ${equipmentId} for update),
    dr as (select id, name, duty_status, archived_at from drivers where id = ${driverId} for update)
    select e.id as equipment_id, e.asset_tag, e.status as equipment_status, e.equipment_type_id,
      dr.id as driver_id, dr.name as driver_name, dr.duty_status, dr.archived_at is not null as driver_archived,
      (select w.number from dispatches x join work_orders w on w.id = x.work_order_id where x.driver_id = dr.id and x.status in (${ACTIVE_SQL}) limit 1) as busy_on,
      (select json_agg(json_build_object('code', q.code, 'expired_on', to_char(dq.expires_at at time zone 'UTC', 'YYYY-MM-DD')) order by q.code)
        from equipment_type_qualifications r join qualifications q on q.id = r.qualification_id
        left join driver_qualifications dq on dq.driver_id = dr.id and dq.qualification_id = r.qualification_id
        where r.equipment_type_id = ${typeId} and (dq.driver_id is null or (dq.expires_at is not null and dq.expires_at <= now()))) as missing
    from (select 1) one left join e on true left join dr on true`.execute(tx);
  const row = rows[0];
  if (!row) throw new Error('manual pick check returned nothing');
  return row;
}

/** update equipment set status = 'dispatched' where id = $1 and status = 'available' */
export async function reserveEquipment(tx: TenantTx, equipmentId: string): Promise<boolean> {
  const result = await tx
    .updateTable('equipment')
    .set({ status: 'dispatched', updated_at: new Date() })
    .where('id', '=', equipmentId)
    .where('status', '=', 'available')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export type ExplainFacts = {
  position: number;
  competing: number;
  mean_seconds: number | null;
  /** The equipment type's code, the site's region (null: shared) and whether matching may cross regions. */
  type_code: string;
  site_region: string | null;
  cross_region: boolean;
  equipment: Array<{
    /** REGIONS: the machine's region, and whether automatic matching may send it to this site. */
    region: string | null;
    matchable: boolean;
    id: string;
    tag: string;
    name: string;
    status: string;
    note: string | null;
    since: string;
    wo: string | null;
    driver: string | null;
    dispatched_at: string | null;
  }>;
  drivers: Array<{
    region: string | null;
    matchable: boolean;
    id: string;
    name: string;
    duty_status: string;
    busy_wo: string | null;
    busy_type_mean: number | null;
    dispatched_at: string | null;
    holds_all: boolean;
    valid_all: boolean;
    expired: Array<{ code: string; on: string }> | null;
  }>;
};

/** Mean job length per equipment type over 90 days, dispatched to completed or recalled (the same basis as explain). */
export async function selectJobLengths(tx: TenantTx): Promise<Array<{ equipment_type_id: string; seconds: number; finished: number }>> {
  const { rows } = await sql<{ equipment_type_id: string; seconds: number; finished: number }>`
    select equipment_type_id, avg(extract(epoch from (coalesce(completed_at, recalled_at) - dispatched_at)))::float8 as seconds, count(*)::int as finished
    from dispatches where status in ('completed', 'recalled') and dispatched_at > now() - interval '90 days' group by equipment_type_id`.execute(
    tx,
  );
  return rows;
}

/**
 * Everything the explanation of one queued dispatch names, in one round trip: its position among
 * queued requests of its type, every machine of the type (on which work order with whom since
 * when, or in maintenance since when and why), every driver who holds (or held) the qualifications
 * (busy on which work order, off duty, which ticket expired on which date), and the mean job
 * length of the type over 90 days.
 */
export async function selectExplainFacts(tx: TenantTx, row: LoadedDispatch, ageingPointsPerMinute: number): Promise<ExplainFacts> {
  const siteRegion = sql`(select st.region from sites st where st.id = ${row.site_id})`;
  const { rows } = await sql<ExplainFacts>`
    with ranked as (
      -- REGIONS: requests compete within their matching lane (modules/regions), as the matcher ranks them.
      select d.id, row_number() over (order by ${queueScoreSql(ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq)::int as position
      from dispatches d where d.status = 'queued' and d.equipment_type_id = ${row.equipment_type_id}
        and ${regionLaneSql(sql`(select st.region from sites st where st.id = d.site_id)`)} = ${regionLaneSql(siteRegion)}
    ),
    req as (select qualification_id from equipment_type_qualifications where equipment_type_id = ${row.equipment_type_id}),
    means as (
      select equipment_type_id, avg(extract(epoch from (coalesce(completed_at, recalled_at) - dispatched_at)))::float8 as seconds
      from dispatches where status in ('completed', 'recalled') and dispatched_at > now() - interval '90 days' group by equipment_type_id
    ),
    people as (
      select dr.id, dr.name, dr.duty_status, dr.region,
        (select count(*) from req where exists (select 1 from driver_qualifications dq where dq.driver_id = dr.id and dq.qualification_id = req.qualification_id)) = (select count(*) from req) as holds_all,
        (select count(*) from req where exists (select 1 from driver_qualifications dq where dq.driver_id = dr.id and dq.qualification_id = req.qualification_id
          and (dq.expires_at is null or dq.expires_at > now()))) = (select count(*) from req) as valid_all,
        (select json_agg(json_build_object('code', q.code, 'on', to_char(dq.expires_at at time zone 'UTC', 'YYYY-MM-DD')) order by q.code)
          from driver_qualifications dq join qualifications q on q.id = dq.qualification_id
          where dq.driver_id = dr.id and dq.qualification_id in (select qualification_id from req) and dq.expires_at <= now()) as expired
      from drivers dr where dr.archived_at is null
    )
    select
      coalesce((select position from ranked where id = ${row.id}), 0) as position,
      (select count(*)::int from ranked) as competing,
      (select seconds from means where equipment_type_id = ${row.equipment_type_id}) as mean_seconds,
      (select t.code from equipment_types t where t.id = ${row.equipment_type_id}) as type_code,
      ${siteRegion} as site_region,
      ${crossRegionAllowedSql} as cross_region,
      coalesce((select json_agg(json_build_object('region', e.region, 'matchable', ${regionMatchSql(siteRegion, sql`e.region`)}, 'id', e.id, 'tag', e.asset_tag, 'name', e.name, 'status', e.status, 'note', e.status_note, 'since', e.updated_at,
          'wo', w.number, 'driver', dr.name, 'dispatched_at', x.dispatched_at) order by e.asset_tag)
        from equipment e
        left join dispatches x on x.equipment_id = e.id and x.status in (${ACTIVE_SQL})
        left join work_orders w on w.id = x.work_order_id
        left join drivers dr on dr.id = x.driver_id
        where e.equipment_type_id = ${row.equipment_type_id} and e.status <> 'retired'), '[]'::json) as equipment,
      coalesce((select json_agg(json_build_object('region', p.region, 'matchable', ${regionMatchSql(siteRegion, sql`p.region`)}, 'id', p.id, 'name', p.name, 'duty_status', p.duty_status, 'busy_wo', w.number, 'busy_type_mean', m.seconds,
          'dispatched_at', x.dispatched_at, 'holds_all', p.holds_all, 'valid_all', p.valid_all, 'expired', p.expired) order by p.name)
        from people p
        left join dispatches x on x.driver_id = p.id and x.status in (${ACTIVE_SQL})
        left join work_orders w on w.id = x.work_order_id
        left join means m on m.equipment_type_id = x.equipment_type_id
        where p.holds_all and not (${row.declined_driver_ids}::uuid[] @> array[p.id])), '[]'::json) as drivers`.execute(tx);
  const facts = rows[0];
  if (!facts) throw new Error('explain facts returned nothing');
  return facts;
}

export type CandidateFacts = {
  equipment: Array<EquipmentFacts & { equipment_id: string; name: string }>;
  drivers: Array<DriverFacts & { driver_id: string }>;
};

/**
 * What the candidates list judges, in one round trip and without locks: every machine in service
 * (any type: the rule names the wrong ones) with its type, status note and, when on a job, the work
 * order and its expected end; every driver with their active work order, its expected end and the
 * required qualifications of `typeId` they lack or hold expired. Expected ends: start plus the mean
 * job length of that type over 90 days (1 hour without history). Same facts as `lockManualPick`.
 */
export async function selectCandidateFacts(tx: TenantTx, typeId: string): Promise<CandidateFacts> {
  const { rows } = await sql<CandidateFacts>`
    with means as (
      select equipment_type_id, avg(extract(epoch from (coalesce(completed_at, recalled_at) - dispatched_at)))::float8 as seconds
      from dispatches where status in ('completed', 'recalled') and dispatched_at > now() - interval '90 days' group by equipment_type_id
    ),
    busy as (
      select x.equipment_id, x.driver_id, w.number,
        x.dispatched_at + make_interval(secs => coalesce((select seconds from means m where m.equipment_type_id = x.equipment_type_id), 3600)) as until
      from dispatches x join work_orders w on w.id = x.work_order_id where x.status in (${ACTIVE_SQL})
    )
    select
      coalesce((select json_agg(json_build_object('equipment_id', e.id, 'asset_tag', e.asset_tag, 'name', e.name, 'equipment_status', e.status,
          'equipment_type_id', e.equipment_type_id, 'type_name', t.name, 'status_note', e.status_note, 'status_since', e.updated_at,
          'equipment_busy_on', b.number, 'equipment_busy_until', b.until) order by e.asset_tag)
        from equipment e join equipment_types t on t.id = e.equipment_type_id left join busy b on b.equipment_id = e.id
        where e.status <> 'retired'), '[]'::json) as equipment,
      coalesce((select json_agg(json_build_object('driver_id', dr.id, 'driver_name', dr.name, 'duty_status', dr.duty_status, 'driver_archived', false,
          'busy_on', b.number, 'busy_until', b.until,
          'missing', (select json_agg(json_build_object('code', q.code, 'expired_on', to_char(dq.expires_at at time zone 'UTC', 'YYYY-MM-DD')) order by q.code)
            from equipment_type_qualifications r join qualifications q on q.id = r.qualification_id
            left join driver_qualifications dq on dq.driver_id = dr.id and dq.qualification_id = r.qualification_id
            where r.equipment_type_id = ${typeId} and (dq.driver_id is null or (dq.expires_at is not null and dq.expires_at <= now())))) order by dr.name)
        from drivers dr left join busy b on b.driver_id = dr.id
        where dr.archived_at is null), '[]'::json) as drivers`.execute(tx);
  const facts = rows[0];
  if (!facts) throw new Error('candidate facts returned nothing');
  return facts;
}

/** update dispatches set status = 'held' … where id = $1 returning * (a recall's replacement, born held: out of the queue) */
export async function holdNewDispatch(tx: TenantTx, id: string, reason: string, notBefore: Date | null): Promise<DispatchRow> {
  return tx
    .updateTable('dispatches')
    .set({ status: 'held', held_at: new Date(), hold_reason: reason, hold_not_before: notBefore, queued_at: null, queue_seq: null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** `select * from dispatches where driver_id = $1 or (assigned_by_kind = 'user' and assigned_by_subject = $2) order by created_at` (a person's data) */
export function selectDispatchesOfPerson(
  tx: TenantTx,
  person: { driverId: string | null; subject: string | null },
): Promise<DispatchRow[]> {
  const { driverId, subject } = person;
  if (driverId === null && subject === null) return Promise.resolve([]);
  return tx
    .selectFrom('dispatches')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(driverId !== null ? [eb('driver_id', '=', driverId)] : []),
        ...(subject !== null ? [eb.and([eb('assigned_by_kind', '=', 'user'), eb('assigned_by_subject', '=', subject)])] : []),
      ]),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** `select count(*) from dispatches where driver_id = $1 and status in (<active>)` */
export async function countActiveDispatchesOfDriver(tx: TenantTx, driverId: string): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`select count(*)::int as n from dispatches where driver_id = ${driverId} and status in (${ACTIVE_SQL})`.execute(tx);
  return rows[0]?.n ?? 0;
}

/** `update dispatches set assigned_by_name = $pseudonym where assigned_by_kind = 'user' and assigned_by_subject = $1` (erasure) */
export async function pseudonymiseAssignedByName(tx: TenantTx, subject: string, pseudonym: string): Promise<number> {
  const result = await tx
    .updateTable('dispatches')
    .set({ assigned_by_name: pseudonym })
    .where('assigned_by_kind', '=', 'user')
    .where('assigned_by_subject', '=', subject)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
