import type { AppError } from '../../platform/errors.js';
import { dispatchProblem } from './dispatch.errors.js';

/**
 * The one rule for a dispatcher's pick of a machine and a driver. Manual assignment throws the
 * first refusal as a problem; the candidates list shows every refusal in plain words. Both read the
 * same facts (see `lockManualPick` and `selectCandidateFacts`), so what the dialog offers is what
 * the server accepts.
 */

/** The request being served. */
export type PickRequest = { equipment_type_id: string; requested_equipment_id: string | null };

/** A machine as the rule sees it (null id: it does not exist). */
export type EquipmentFacts = {
  equipment_id: string | null;
  asset_tag: string | null;
  equipment_status: string | null;
  equipment_type_id: string | null;
  /** Only the candidates list reads these (to say it in plain words). */
  type_name?: string | null;
  status_note?: string | null;
  status_since?: string | null;
  equipment_busy_on?: string | null;
  equipment_busy_until?: string | null;
};

/** A driver as the rule sees it (null id: they do not exist). */
export type DriverFacts = {
  driver_id: string | null;
  driver_name: string | null;
  duty_status: string | null;
  driver_archived: boolean | null;
  /** Work order number of the driver's active dispatch, if any. */
  busy_on: string | null;
  busy_until?: string | null;
  /** Required qualifications the driver lacks (expired_on set: held, but expired on that day). */
  missing: Array<{ code: string; expired_on: string | null }> | null;
};

export type Refusal =
  | { kind: 'unknown-equipment' }
  | { kind: 'wrong-type'; tag: string; typeName: string | null }
  | { kind: 'not-requested'; tag: string }
  | {
      kind: 'equipment-status';
      tag: string;
      status: string;
      note: string | null;
      since: string | null;
      busyOn: string | null;
      busyUntil: string | null;
    }
  | { kind: 'unknown-driver' }
  | { kind: 'off-duty'; name: string }
  | { kind: 'driver-busy'; name: string; busyOn: string; busyUntil: string | null }
  | { kind: 'missing-qualification'; name: string; code: string }
  | { kind: 'expired-qualification'; name: string; code: string; expiredOn: string };

/** Why this machine cannot serve the request, in the order the checks are made (empty: it can). */
export function refuseEquipment(request: PickRequest, e: EquipmentFacts): Refusal[] {
  if (!e.equipment_id) return [{ kind: 'unknown-equipment' }];
  const tag = e.asset_tag ?? '';
  const refusals: Refusal[] = [];
  if (e.equipment_type_id !== request.equipment_type_id) refusals.push({ kind: 'wrong-type', tag, typeName: e.type_name ?? null });
  else if (request.requested_equipment_id && request.requested_equipment_id !== e.equipment_id)
    refusals.push({ kind: 'not-requested', tag });
  if (e.equipment_status !== 'available') {
    refusals.push({
      kind: 'equipment-status',
      tag,
      status: e.equipment_status ?? 'unknown',
      note: e.status_note ?? null,
      since: e.status_since ?? null,
      busyOn: e.equipment_busy_on ?? null,
      busyUntil: e.equipment_busy_until ?? null,
    });
  }
  return refusals;
}

/** Why this driver cannot take the request's machine, in the order the checks are made (empty: they can). */
export function refuseDriver(d: DriverFacts): Refusal[] {
  if (!d.driver_id || d.driver_archived) return [{ kind: 'unknown-driver' }];
  const name = d.driver_name ?? '';
  const refusals: Refusal[] = [];
  if (d.duty_status !== 'on_duty') refusals.push({ kind: 'off-duty', name });
  if (d.busy_on) refusals.push({ kind: 'driver-busy', name, busyOn: d.busy_on, busyUntil: d.busy_until ?? null });
  for (const m of d.missing ?? []) {
    refusals.push(
      m.expired_on
        ? { kind: 'expired-qualification', name, code: m.code, expiredOn: m.expired_on }
        : { kind: 'missing-qualification', name, code: m.code },
    );
  }
  return refusals;
}

const isQualification = (r: Refusal): r is Extract<Refusal, { kind: 'missing-qualification' | 'expired-qualification' }> =>
  r.kind === 'missing-qualification' || r.kind === 'expired-qualification';

/** The problem manual assignment answers with for the first refusal (qualifications named together), or null. */
export function refusalProblem(refusals: readonly Refusal[]): AppError | null {
  const first = refusals[0];
  if (!first) return null;
  switch (first.kind) {
    case 'unknown-equipment':
      return dispatchProblem('wrong-equipment', 'equipment not found', 'equipmentId', 'unknown equipment');
    case 'wrong-type':
      return dispatchProblem('wrong-equipment', `equipment ${first.tag} is not of the requested type`, 'equipmentId', 'wrong type');
    case 'not-requested':
      return dispatchProblem(
        'wrong-equipment',
        'the work order asked for a specific piece of equipment',
        'equipmentId',
        'not the requested equipment',
      );
    case 'equipment-status':
      return dispatchProblem(
        'equipment-unavailable',
        `equipment ${first.tag} is no longer available (${first.status})`,
        'equipmentId',
        first.status,
      );
    case 'unknown-driver':
      return dispatchProblem('driver-unavailable', 'driver not found', 'driverId', 'unknown driver');
    case 'off-duty':
      return dispatchProblem('driver-unavailable', `${first.name} is off duty`, 'driverId', 'off duty');
    case 'driver-busy':
      return dispatchProblem('driver-unavailable', `${first.name} is already on a dispatch (${first.busyOn})`, 'driverId', 'busy');
    case 'missing-qualification':
    case 'expired-qualification': {
      const what = refusals
        .filter(isQualification)
        .map((q) => (q.kind === 'expired-qualification' ? `${q.code} (expired ${q.expiredOn})` : q.code))
        .join(', ');
      return dispatchProblem(
        'driver-not-qualified',
        `${first.name} lacks a required qualification (or holds it expired): ${what}`,
        'driverId',
        'not qualified',
      );
    }
  }
}

/** A refusal as a dispatcher would say it (times already in the tenant's zone, `at` formats them). */
export function refusalInWords(r: Refusal, at: (iso: string) => string, day: (iso: string) => string): string {
  switch (r.kind) {
    case 'unknown-equipment':
      return 'no longer in the fleet';
    case 'wrong-type':
      return r.typeName ? `wrong type: this is a ${r.typeName}` : 'wrong type';
    case 'not-requested':
      return 'the work order asks for a specific machine';
    case 'equipment-status':
      if (r.status === 'maintenance') return `in maintenance${r.since ? ` since ${day(r.since)}` : ''}${r.note ? ` (${r.note})` : ''}`;
      if (r.status === 'dispatched')
        return r.busyOn ? `on ${r.busyOn}${r.busyUntil ? ` until about ${at(r.busyUntil)}` : ''}` : 'on another job';
      if (r.status === 'retired') return 'retired';
      return `not available (${r.status})`;
    case 'unknown-driver':
      return 'no longer a driver here';
    case 'off-duty':
      return 'off duty';
    case 'driver-busy':
      return `on ${r.busyOn}${r.busyUntil ? ` until about ${at(r.busyUntil)}` : ''}`;
    case 'missing-qualification':
      return `missing qualification ${r.code}`;
    case 'expired-qualification':
      return `qualification ${r.code} expired on ${day(r.expiredOn)}`;
  }
}
