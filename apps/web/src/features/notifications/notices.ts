import type { Alert, Dispatch } from '@yardmaster/contracts';
import { formatDuration } from '../../lib/time';

/** One line in the notification centre. */
export type Notice = {
  id: string;
  kind: 'declined' | 'auto-dispatched' | 'alert-raised' | 'alert-resolved' | 'held';
  at: string;
  /** Catalogue key and values of the headline, and of an optional second line. */
  title: { key: string; values: Record<string, string> };
  detail: { key: string; values: Record<string, string> } | null;
  workOrderNumber: string | null;
};

export type Names = { driver: (id: string) => string | null; equipment: (id: string) => string | null };

/**
 * What a live event tells the dispatcher, or null: a driver's decline with their reason, work
 * dispatched automatically (with how long it waited), work held, alerts raised and resolved.
 */
export function noticeOf(event: { id: string | null; type: string; data?: Record<string, unknown> }, names: Names): Notice | null {
  const id = event.id ?? `${event.type}-${Date.now()}`;
  const dispatch = event.data?.dispatch as Dispatch | undefined;
  const alert = event.data?.alert as Alert | undefined;
  if (event.type === 'dispatch.declined' && dispatch) {
    const driver = (dispatch.declinedBy && names.driver(dispatch.declinedBy)) || 'A driver';
    return {
      id,
      kind: 'declined',
      at: new Date().toISOString(),
      title: { key: 'notifications.declined', values: { driver, workOrder: dispatch.workOrderNumber } },
      detail: dispatch.declineReason
        ? { key: 'notifications.declinedReason', values: { reason: dispatch.declineReason } }
        : { key: 'notifications.declinedNoReason', values: {} },
      workOrderNumber: dispatch.workOrderNumber,
    };
  }
  if (event.type === 'dispatch.dispatched' && dispatch && dispatch.assignedBy?.kind === 'system') {
    const equipment = (dispatch.equipmentId && names.equipment(dispatch.equipmentId)) || 'A machine';
    const dispatchedAt = dispatch.timestamps.dispatchedAt ?? new Date().toISOString();
    const waited = dispatch.queuedAt ? new Date(dispatchedAt).getTime() - new Date(dispatch.queuedAt).getTime() : 0;
    return {
      id,
      kind: 'auto-dispatched',
      at: dispatchedAt,
      title: {
        key: 'notifications.autoDispatched',
        values: { equipment, workOrder: dispatch.workOrderNumber, waited: formatDuration(Math.max(0, waited)) },
      },
      detail: null,
      workOrderNumber: dispatch.workOrderNumber,
    };
  }
  if (event.type === 'dispatch.held' && dispatch?.hold) {
    return {
      id,
      kind: 'held',
      at: dispatch.timestamps.heldAt ?? new Date().toISOString(),
      title: { key: 'notifications.held', values: { workOrder: dispatch.workOrderNumber, reason: dispatch.hold.reason } },
      detail: null,
      workOrderNumber: dispatch.workOrderNumber,
    };
  }
  if ((event.type === 'alert.raised' || event.type === 'alert.resolved') && alert) {
    const raised = event.type === 'alert.raised';
    return {
      id,
      kind: raised ? 'alert-raised' : 'alert-resolved',
      at: (raised ? alert.raisedAt : alert.resolvedAt) ?? new Date().toISOString(),
      title: { key: raised ? 'notifications.alertRaised' : 'notifications.alertResolved', values: { message: alert.message } },
      detail: null,
      workOrderNumber: null,
    };
  }
  return null;
}
