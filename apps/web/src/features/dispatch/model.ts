/**
 * The dispatcher board's view of the dispatch lifecycle (DESIGN §5.1): which column a dispatch
 * sits in and what a dispatcher may do with it. Pure, so the rules are tested without a browser.
 */
export type DispatchStatus = 'scheduled' | 'queued' | 'dispatched' | 'en_route' | 'on_site' | 'returning' | 'completed' | 'recalled' | 'cancelled';
export type Priority = 'urgent' | 'standard' | 'low';

export const BOARD_COLUMNS = [
  { key: 'queued', label: 'Queued', statuses: ['queued', 'scheduled'] },
  { key: 'dispatched', label: 'Dispatched', statuses: ['dispatched'] },
  { key: 'en_route', label: 'En route', statuses: ['en_route'] },
  { key: 'on_site', label: 'On site', statuses: ['on_site'] },
  { key: 'returning', label: 'Returning', statuses: ['returning'] },
] as const satisfies readonly { key: string; label: string; statuses: readonly DispatchStatus[] }[];

export const ACTIVE: readonly DispatchStatus[] = ['dispatched', 'en_route', 'on_site', 'returning'];

export type DispatcherAction = 'manual-dispatch' | 'recall' | 'cancel' | 'change-priority' | 'complete';

export function actionsFor(status: DispatchStatus): DispatcherAction[] {
  switch (status) {
    case 'scheduled':
      return ['change-priority', 'cancel'];
    case 'queued':
      return ['manual-dispatch', 'change-priority', 'cancel'];
    case 'dispatched':
    case 'en_route':
    case 'on_site':
    case 'returning':
      return ['recall', 'complete'];
    case 'completed':
    case 'recalled':
    case 'cancelled':
      return [];
  }
}

/** The driver's next step from a status, or null when the driver has nothing to do. */
export function nextDriverStep(status: DispatchStatus): { to: DispatchStatus; label: string } | null {
  switch (status) {
    case 'dispatched':
      return { to: 'en_route', label: 'Start driving (en route)' };
    case 'en_route':
      return { to: 'on_site', label: 'Arrived on site' };
    case 'on_site':
      return { to: 'returning', label: 'Leaving site (returning)' };
    case 'returning':
      return { to: 'completed', label: 'Complete' };
    case 'scheduled':
    case 'queued':
    case 'completed':
    case 'recalled':
    case 'cancelled':
      return null;
  }
}

const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, standard: 1, low: 2 };

/** Queue order as the server serves it: by position when known, else priority then queue time. */
export function byQueueOrder<T extends { priority: Priority; queuedAt?: string | null; position?: number | null }>(a: T, b: T): number {
  if (a.position != null && b.position != null) return a.position - b.position;
  const p = PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority];
  if (p !== 0) return p;
  return (a.queuedAt ?? '').localeCompare(b.queuedAt ?? '');
}

export const PRIORITY_COLOR: Record<Priority, string> = { urgent: 'red', standard: 'blue', low: 'gray' };

export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

/** What a card on the board shows; the feature's api.ts maps the server's shapes to it. */
export type BoardItem = {
  id: string;
  version: number;
  status: DispatchStatus;
  priority: Priority;
  workOrderNumber: string;
  equipmentTypeId: string;
  siteName: string;
  equipmentTypeName: string;
  equipmentName: string | null;
  driverName: string | null;
  queuedAt: string | null;
  changedAt: string | null;
  position: number | null;
  reason: string | null;
};
