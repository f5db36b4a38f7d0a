import { sql } from 'kysely';
import { withTenant, type Database } from '../../src/platform/db/index.js';

type AuditRow = {
  sequence: number;
  action: string;
  entity_type: string;
  entity_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
};

/**
 * Checks DESIGN.md §5.2's invariants from the database alone (final rows and the audit trail),
 * after any amount of concurrent load. Returns a list of violations (empty when all hold).
 */
export async function checkDispatchInvariants(
  database: Database,
  slug: string,
): Promise<{ violations: string[]; assignments: number; dispatches: number }> {
  return withTenant(database.db, slug, async (tx) => {
    const violations: string[] = [];
    const dispatches = (
      await sql<{
        id: string;
        line_id: string;
        status: string;
        priority: string;
        equipment_type_id: string;
        requested_equipment_id: string | null;
        driver_id: string | null;
        equipment_id: string | null;
        dispatched_at: Date | null;
        queued_at: Date | null;
        declined_driver_ids: string[];
      }>`
        select id, line_id, status, priority, equipment_type_id, requested_equipment_id, driver_id, equipment_id, dispatched_at, queued_at, declined_driver_ids from dispatches`.execute(
        tx,
      )
    ).rows;
    const byId = new Map(dispatches.map((d) => [d.id, d]));

    // 3. Nothing lost: every requested unit has exactly one live (non-recalled) dispatch.
    const lines = (await sql<{ id: string; quantity: number }>`select id, quantity from work_order_lines`.execute(tx)).rows;
    for (const line of lines) {
      const live = dispatches.filter((d) => d.line_id === line.id && d.status !== 'recalled').length;
      if (live !== line.quantity) violations.push(`line ${line.id}: ${live} live dispatches for quantity ${line.quantity}`);
    }
    const valid = new Set(['scheduled', 'queued', 'dispatched', 'en_route', 'on_site', 'returning', 'completed', 'recalled', 'cancelled']);
    for (const d of dispatches) if (!valid.has(d.status)) violations.push(`dispatch ${d.id} in unknown state ${d.status}`);

    // Replay the audit trail in commit order.
    const events = (
      await sql<AuditRow>`select sequence, action, entity_type, entity_id, before, after from audit_events
        where action in ('dispatch.dispatched', 'dispatch.completed', 'dispatch.recalled', 'dispatch.declined', 'dispatch.cancelled', 'driver.on_duty', 'driver.off_duty', 'driver.created', 'work_order.created', 'dispatch.queued')
        order by sequence`.execute(tx)
    ).rows;
    const onDuty = new Map<string, boolean>();
    const driverBusy = new Map<string, string>();
    const equipmentBusy = new Map<string, string>();
    const open = new Map<string, { driver: string; equipment: string }>();
    const queuedSince = new Map<string, number>();
    let assignments = 0;
    const assignmentOrder: Array<{ seq: number; dispatchId: string; waiting: string[] }> = [];

    for (const e of events) {
      if (e.action === 'driver.created') onDuty.set(e.entity_id, (e.after as { dutyStatus?: string } | null)?.dutyStatus === 'on_duty');
      else if (e.action === 'driver.on_duty') onDuty.set(e.entity_id, true);
      else if (e.action === 'driver.off_duty') onDuty.set(e.entity_id, false);
      else if (e.action === 'work_order.created') {
        for (const id of (e.after as { dispatchIds?: string[] } | null)?.dispatchIds ?? [])
          if (byId.get(id)?.queued_at) queuedSince.set(id, e.sequence);
      } else if (e.action === 'dispatch.queued') queuedSince.set(e.entity_id, e.sequence);
      else if (e.action === 'dispatch.dispatched') {
        assignments++;
        const after = e.after as { driverId?: string; equipmentId?: string } | null;
        const driver = after?.driverId ?? '';
        const equipment = after?.equipmentId ?? '';
        if (onDuty.get(driver) !== true)
          violations.push(`seq ${e.sequence}: dispatch ${e.entity_id} assigned to off-duty driver ${driver}`);
        if (driverBusy.has(driver))
          violations.push(`seq ${e.sequence}: driver ${driver} double-booked (${driverBusy.get(driver)} and ${e.entity_id})`);
        if (equipmentBusy.has(equipment)) violations.push(`seq ${e.sequence}: equipment ${equipment} double-booked`);
        driverBusy.set(driver, e.entity_id);
        equipmentBusy.set(equipment, e.entity_id);
        open.set(e.entity_id, { driver, equipment });
        assignmentOrder.push({
          seq: e.sequence,
          dispatchId: e.entity_id,
          waiting: [...queuedSince.keys()].filter((id) => id !== e.entity_id),
        });
        queuedSince.delete(e.entity_id);
      } else if (['dispatch.completed', 'dispatch.recalled', 'dispatch.declined'].includes(e.action)) {
        const held = open.get(e.entity_id);
        if (held) {
          driverBusy.delete(held.driver);
          equipmentBusy.delete(held.equipment);
          open.delete(e.entity_id);
        }
        if (e.action === 'dispatch.declined') queuedSince.set(e.entity_id, e.sequence);
      } else if (e.action === 'dispatch.cancelled') queuedSince.delete(e.entity_id);
    }

    // 2. Qualified at assignment: every dispatched driver held each required qualification unexpired then.
    const unqualified = (
      await sql<{ id: string }>`
        select d.id from dispatches d
        join equipment_type_qualifications r on r.equipment_type_id = d.equipment_type_id
        where d.dispatched_at is not null and not exists (
          select 1 from driver_qualifications dq where dq.driver_id = d.driver_id and dq.qualification_id = r.qualification_id
            and (dq.expires_at is null or dq.expires_at > d.dispatched_at))`.execute(tx)
    ).rows;
    for (const u of unqualified) violations.push(`dispatch ${u.id} assigned to an unqualified driver`);

    // 4. Fair queue: when a request was assigned, no older waiting request of the same type, of equal
    // or higher priority, that could use any unit of that type (no specific equipment asked, not
    // declined by the chosen driver, and — regions — allowed the chosen machine and driver) was left waiting.
    const rank = { urgent: 2, standard: 1, low: 0 } as Record<string, number>;
    const regions = await regionFacts(tx);
    for (const a of assignmentOrder) {
      const served = byId.get(a.dispatchId);
      if (!served || served.requested_equipment_id) continue;
      const servedDriver = (events.find((e) => e.sequence === a.seq)?.after as { driverId?: string } | null)?.driverId ?? '';
      for (const id of a.waiting) {
        const other = byId.get(id);
        if (!other || other.equipment_type_id !== served.equipment_type_id || other.requested_equipment_id) continue;
        if ((rank[other.priority] ?? 0) < (rank[served.priority] ?? 0)) continue;
        if (other.declined_driver_ids.includes(servedDriver)) continue;
        const servedEquipment = (events.find((e) => e.sequence === a.seq)?.after as { equipmentId?: string } | null)?.equipmentId ?? '';
        if (!regions.mayServe(id, servedEquipment, servedDriver)) continue;
        if (
          (other.queued_at?.getTime() ?? Infinity) < (served.queued_at?.getTime() ?? 0) &&
          (rank[other.priority] ?? 0) >= (rank[served.priority] ?? 0)
        ) {
          violations.push(`seq ${a.seq}: ${a.dispatchId} (${served.priority}) served before older waiting ${id} (${other.priority})`);
        }
      }
    }

    // 1. Right now: no resource in two active dispatches.
    const doubles = (
      await sql<{ n: number }>`select count(*)::int as n from (
        select driver_id from dispatches where status in ('dispatched','en_route','on_site','returning') group by driver_id having count(*) > 1
        union all
        select equipment_id from dispatches where status in ('dispatched','en_route','on_site','returning') group by equipment_id having count(*) > 1) x`.execute(
        tx,
      )
    ).rows[0]?.n;
    if (doubles) violations.push(`${doubles} resources are in two active dispatches`);
    return { violations, assignments, dispatches: dispatches.length };
  });
}

/**
 * Regions (ABAC): could the request `dispatchId` have used this machine and driver? Its site's
 * region, the resources' regions (null: shared) and whether the tenant lets matching cross regions.
 */
async function regionFacts(tx: Parameters<Parameters<typeof withTenant>[2]>[0]) {
  const region = new Map<string, string | null>();
  const rows = (
    await sql<{ id: string; region: string | null }>`
      select d.id, s.region from dispatches d join sites s on s.id = d.site_id
      union all select id, region from equipment
      union all select id, region from drivers`.execute(tx)
  ).rows;
  for (const r of rows) region.set(r.id, r.region);
  const cross =
    (
      await sql<{
        cross: boolean | null;
      }>`select (value->>'crossRegionMatching')::boolean as cross from tenant_settings where key = 'regions'`.execute(tx)
    ).rows[0]?.cross === true;
  const fits = (site: string | null, resource: string | null): boolean => cross || site === null || resource === null || site === resource;
  return {
    mayServe: (dispatchId: string, equipmentId: string, driverId: string): boolean => {
      const site = region.get(dispatchId) ?? null;
      return fits(site, region.get(equipmentId) ?? null) && fits(site, region.get(driverId) ?? null);
    },
  };
}
