import { sql } from 'kysely';
import {
  ACTIVE_DISPATCH_STATUSES,
  type DriverAction,
  type DriverActionResult,
  type DriverJob,
  type DriverJobs,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { AppError, notFound, problemType, validationFailed } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { listFiles } from '../files/index.js';
import { findEquipment, findEquipmentType } from '../fleet/index.js';
import { findDriverBySubject } from '../people/index.js';
import { findSite } from '../sites/index.js';
import { advanceDispatch } from './advance-dispatch.js';
import { declineDispatch } from './decline-dispatch.js';
import { lockDispatchQueue, selectDispatch as loadDispatch } from './dispatch.repo.js';
import { readProofSettings, saveProof } from './proof-settings.js';
import { listRelated } from './work-order-links.js';
import { changeDispatch } from './record-change.js';
import { dispatchView, type DispatchRow } from './views.js';

/** How long a status tap can be undone, from the moment the server applied it. */
export const UNDO_WINDOW_MS = 10_000;
/** A phone clock may run ahead; an action "in the future" by more than this is refused as invalid. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

type Loaded = DispatchRow & { work_order_number: string };
type ActionKind = DriverAction['action'];

/** The status an action needs the dispatch to be in, and the status it leads to. */
const STEP: Record<Exclude<ActionKind, 'completed' | 'decline'>, { from: DispatchRow['status']; to: DispatchRow['status'] }> = {
  en_route: { from: 'dispatched', to: 'en_route' },
  on_site: { from: 'en_route', to: 'on_site' },
  returning: { from: 'on_site', to: 'returning' },
};
/** The timestamp column each undoable step stamps (cleared again by undo). */
const STAMP = { en_route: 'en_route_at', on_site: 'on_site_at', returning: 'returning_at' } as const;
/** Undo rule: only the three travel steps. Completing and declining free the machine and driver at once
 * (the queue may have given them new work, the status report exists), so something depends on them immediately. */
const UNDOABLE = new Set<ActionKind>(['en_route', 'on_site', 'returning']);

const words = (status: string): string => status.replace('_', ' ');

async function me(tx: TenantTx, caller: Caller): Promise<{ id: string }> {
  const driver = await findDriverBySubject(tx, caller.subject);
  if (!driver) throw notFound('driver record for your account');
  return driver;
}

async function jobOf(tx: TenantTx, row: Loaded): Promise<DriverJob> {
  const [workOrder, site, equipment, attachments, related] = await Promise.all([
    tx
      .selectFrom('work_orders')
      .select(['id', 'number', 'description', 'due_at'])
      .where('id', '=', row.work_order_id)
      .executeTakeFirstOrThrow(),
    findSite(tx, row.site_id),
    row.equipment_id ? findEquipment(tx, row.equipment_id) : Promise.resolve(undefined),
    listFiles(tx, { workOrderId: row.work_order_id, purpose: 'attachment' }),
    listRelated(tx, row.work_order_id),
  ]);
  const type = equipment ? await findEquipmentType(tx, equipment.equipment_type_id) : undefined;
  const parked =
    equipment && equipment.lat !== null && equipment.lng !== null
      ? { lat: equipment.lat, lng: equipment.lng }
      : equipment && equipment.home_lat !== null && equipment.home_lng !== null
        ? { lat: equipment.home_lat, lng: equipment.home_lng }
        : null;
  return {
    dispatch: dispatchView(row),
    workOrder: {
      id: workOrder.id,
      number: workOrder.number,
      description: workOrder.description,
      dueAt: workOrder.due_at?.toISOString() ?? null,
    },
    equipment: equipment
      ? {
          id: equipment.id,
          assetTag: equipment.asset_tag,
          name: equipment.name,
          typeCode: type?.code ?? '',
          typeName: type?.name ?? '',
          parkedAt: parked,
        }
      : null,
    site: {
      id: row.site_id,
      name: site?.name ?? '',
      address: site?.address ?? '',
      position: site && site.lat !== null && site.lng !== null ? { lat: site.lat, lng: site.lng } : null,
      contactName: site?.contact_name ?? null,
      contactPhone: site?.contact_phone ?? null,
      accessNotes: site?.notes ?? null,
    },
    scheduledStart: row.requested_start.toISOString(),
    attachments: attachments.map((f) => ({ ...f })),
    related: related.map((r) => ({ id: r.id, number: r.number })),
  };
}

/** The driver's job card (the active dispatch) and the jobs after it, earliest start first. */
export async function readDriverJobs(tx: TenantTx, caller: Caller): Promise<DriverJobs> {
  const driver = await me(tx, caller);
  const ids = await tx
    .selectFrom('dispatches')
    .select('id')
    .where('driver_id', '=', driver.id)
    .where('status', 'in', ACTIVE_DISPATCH_STATUSES)
    .orderBy('requested_start')
    .orderBy('created_at')
    .limit(20)
    .execute();
  const jobs: DriverJob[] = [];
  for (const { id } of ids) {
    const row = await loadDispatch(tx, id);
    if (row) jobs.push(await jobOf(tx, row));
  }
  return { current: jobs[0] ?? null, upcoming: jobs.slice(1), proof: await readProofSettings(tx), serverTime: new Date().toISOString() };
}

type ActionRow = {
  id: string;
  dispatch_id: string;
  driver_id: string;
  action: ActionKind;
  occurred_at: Date;
  received_at: Date;
  outcome: 'applied' | 'refused';
  reason: string | null;
  from_status: string;
  to_status: string | null;
  result_version: number | null;
  undone_at: Date | null;
};

async function resultOf(tx: TenantTx, row: ActionRow): Promise<DriverActionResult> {
  const dispatch = await loadDispatch(tx, row.dispatch_id);
  const undoable =
    row.outcome === 'applied' && !row.undone_at && UNDOABLE.has(row.action) && dispatch?.version === row.result_version
      ? new Date(row.received_at.getTime() + UNDO_WINDOW_MS)
      : null;
  return {
    id: row.id,
    dispatchId: row.dispatch_id,
    action: row.action,
    outcome: row.outcome,
    reason: row.reason,
    occurredAt: row.occurred_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
    undoableUntil: undoable && undoable.getTime() > Date.now() ? undoable.toISOString() : null,
    undone: row.undone_at !== null,
    dispatch: dispatch ? dispatchView(dispatch) : null,
  };
}

/** Why an action can no longer be applied to this dispatch, in the driver's words; null when it can. */
function refusalOf(row: Loaded, driverId: string, action: ActionKind): string | null {
  const mine = row.driver_id === driverId;
  if (row.status === 'recalled' && mine) {
    return `Recalled by the dispatcher${row.recalled_at ? ` at ${row.recalled_at.toISOString().slice(11, 16)} UTC` : ''}${row.recall_reason ? `: ${row.recall_reason}` : ''}. Your "${words(action)}" was not applied.`;
  }
  if (!mine) return `This job is no longer assigned to you; your "${words(action)}" was not applied.`;
  if (row.status === 'completed') return `This job was already completed; your "${words(action)}" was not applied.`;
  if (action === 'completed') return null;
  if (action === 'decline')
    return row.status === 'dispatched' ? null : `You can decline only before setting off; the job is ${words(row.status)}.`;
  const step = STEP[action];
  if (row.status === step.from) return null;
  if (row.status === step.to) return `The job is already ${words(step.to)}.`;
  return `The job is ${words(row.status)}; it cannot become ${words(step.to)}.`;
}

/**
 * Applies a driver's status tap, made online or queued offline. The action id is its idempotency
 * key: a replay returns the first answer and changes nothing. The server decides: an action that is
 * no longer valid (recalled meanwhile, already moved on) is refused with a reason and kept as such.
 * `occurred_at` (the phone's time of the tap) is kept beside `received_at` (the server's).
 */
export async function applyDriverAction(tx: TenantTx, caller: Caller, input: DriverAction): Promise<DriverActionResult> {
  const driver = await me(tx, caller);
  const occurredAt = new Date(input.occurredAt);
  if (occurredAt.getTime() > Date.now() + MAX_CLOCK_SKEW_MS)
    throw validationFailed('occurredAt is in the future', [{ field: 'occurredAt', message: 'later than the server time' }]);
  // Claim the id first: a concurrent replay waits here for this transaction and then finds the row.
  const existing = await sql<ActionRow>`select * from driver_actions where id = ${input.id}`.execute(tx);
  const prior = existing.rows[0];
  if (prior) {
    if (prior.driver_id !== driver.id) throw notFound('action', input.id);
    if (prior.dispatch_id !== input.dispatchId || prior.action !== input.action) {
      throw new AppError(
        422,
        problemType('idempotency-key-reused'),
        'Unprocessable request',
        `action id ${input.id} was already used for another action`,
      );
    }
    return resultOf(tx, prior);
  }
  const current = await loadDispatch(tx, input.dispatchId);
  if (!current || (current.driver_id !== driver.id && !current.declined_driver_ids.includes(driver.id)))
    throw notFound('dispatch', input.dispatchId);
  const claimed = await sql<{ id: string }>`
    insert into driver_actions (id, dispatch_id, driver_id, action, occurred_at, outcome, from_status)
    values (${input.id}, ${input.dispatchId}, ${driver.id}, ${input.action}, ${occurredAt}, 'refused', ${current.status})
    on conflict (id) do nothing returning id`.execute(tx);
  if (claimed.rows.length === 0) {
    const raced = (await sql<ActionRow>`select * from driver_actions where id = ${input.id}`.execute(tx)).rows[0];
    if (!raced || raced.driver_id !== driver.id) throw notFound('action', input.id);
    return resultOf(tx, raced);
  }

  // The tenant's dispatch order first, as every dispatch command takes it (the same lock order).
  await lockDispatchQueue(tx);
  const row = await loadDispatch(tx, input.dispatchId, true);
  if (!row) throw notFound('dispatch', input.dispatchId);
  const refusal = refusalOf(row, driver.id, input.action);
  let outcome: { to: string | null; version: number | null; reason: string | null };
  if (refusal) {
    outcome = { to: null, version: null, reason: refusal };
    await recordAudit(tx, caller, {
      action: 'dispatch.driver_action_refused',
      entityType: 'dispatch',
      entityId: row.id,
      after: { actionId: input.id, action: input.action, occurredAt: occurredAt.toISOString(), reason: refusal },
    });
  } else if (input.action === 'decline') {
    const after = await declineDispatch(tx, caller, row.id, undefined, input.reason);
    outcome = { to: after.status, version: after.version, reason: null };
  } else {
    if (input.action === 'completed') await saveProof(tx, row.id, input.proof, await readProofSettings(tx));
    const after = await advanceDispatch(tx, caller, row.id, undefined, { status: input.action, notes: input.notes });
    outcome = { to: after.status, version: after.version, reason: null };
  }
  const saved = await sql<ActionRow>`
    update driver_actions set outcome = ${outcome.reason ? 'refused' : 'applied'}, reason = ${outcome.reason}, to_status = ${outcome.to},
      result_version = ${outcome.version}, received_at = clock_timestamp()
    where id = ${input.id} returning *`.execute(tx);
  return resultOf(tx, saved.rows[0]!);
}

/** The answer to an earlier action (the client asks after losing a response). */
export async function readDriverAction(tx: TenantTx, caller: Caller, actionId: string): Promise<DriverActionResult> {
  const driver = await me(tx, caller);
  const row = (await sql<ActionRow>`select * from driver_actions where id = ${actionId}`.execute(tx)).rows[0];
  if (!row || row.driver_id !== driver.id) throw notFound('action', actionId);
  return resultOf(tx, row);
}

const cannotUndo = (detail: string): AppError => new AppError(409, problemType('undo-not-possible'), 'Cannot undo', detail);

/**
 * Undoes a travel step (en route, on site, returning) within 10 s of the server applying it, as long
 * as nothing depends on it yet: the dispatch is exactly as the step left it (same version: no later
 * step, no dispatcher change). The step's timestamp is cleared, the status goes back; audited.
 */
export async function undoDriverAction(tx: TenantTx, caller: Caller, actionId: string): Promise<DriverActionResult> {
  const driver = await me(tx, caller);
  await lockDispatchQueue(tx);
  const action = (await sql<ActionRow>`select * from driver_actions where id = ${actionId} for update`.execute(tx)).rows[0];
  if (!action || action.driver_id !== driver.id) throw notFound('action', actionId);
  if (action.undone_at) return resultOf(tx, action);
  if (action.outcome !== 'applied') throw cannotUndo('this action was not applied, so there is nothing to undo');
  if (!UNDOABLE.has(action.action))
    throw cannotUndo(`"${words(action.action)}" cannot be undone: the machine and driver are released at once`);
  if (Date.now() - action.received_at.getTime() > UNDO_WINDOW_MS) throw cannotUndo('the 10 seconds to undo have passed');
  const row = await loadDispatch(tx, action.dispatch_id, true);
  if (!row || row.version !== action.result_version) throw cannotUndo('the job has changed since; ask the dispatcher');
  const step = action.action as keyof typeof STAMP;
  // One transition like any other: the row (version + 1), its audit and live events, the work order's status.
  await changeDispatch(tx, caller, row, { status: STEP[step].from, [STAMP[step]]: null }, 'dispatch.step_undone');
  await sql`update driver_actions set undone_at = clock_timestamp() where id = ${actionId}`.execute(tx);
  const reread = (await sql<ActionRow>`select * from driver_actions where id = ${actionId}`.execute(tx)).rows[0]!;
  return resultOf(tx, reread);
}
