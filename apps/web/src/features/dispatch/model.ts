/**
 * The dispatcher board's view of the dispatch lifecycle (DESIGN §5.1): which column a dispatch
 * sits in and what a dispatcher may do with it. Pure, so the rules are tested without a browser.
 */
import { t } from '../../i18n';
import {
  ACTIVE_DISPATCH_STATUSES,
  canMove,
  DISPATCH_TRANSITIONS,
  nextStepFrom,
  type DispatchCommand,
  type DispatchStatus,
  type Priority,
} from '@yardmaster/contracts';

export type { DispatchStatus, Priority };

export const BOARD_COLUMNS = [
  { key: 'queued', label: 'Waiting', statuses: ['queued', 'scheduled', 'held'] },
  { key: 'dispatched', label: 'Dispatched', statuses: ['dispatched'] },
  { key: 'en_route', label: 'En route', statuses: ['en_route'] },
  { key: 'on_site', label: 'On site', statuses: ['on_site'] },
  { key: 'returning', label: 'Returning', statuses: ['returning'] },
] as const satisfies readonly { key: string; label: string; statuses: readonly DispatchStatus[] }[];

/** The active statuses, from the contracts' state machine. */
export const ACTIVE: readonly DispatchStatus[] = ACTIVE_DISPATCH_STATUSES;

export type DispatcherAction = 'manual-dispatch' | 'recall' | 'release' | 'cancel' | 'change-priority' | 'complete';

/** The board's buttons and the state machine's commands they send, in the order they are shown. */
const ACTION_COMMANDS: ReadonlyArray<[DispatcherAction, DispatchCommand]> = [
  ['manual-dispatch', 'assign'],
  ['recall', 'recall'],
  ['release', 'release'],
  ['change-priority', 'reprioritise'],
  ['cancel', 'cancel'],
  ['complete', 'complete'],
];

/** What a dispatcher may do with a dispatch in this status (derived from the state machine). */
export function actionsFor(status: DispatchStatus): DispatcherAction[] {
  // The priority can change on a dispatched job too, but the board offers it only while waiting.
  const waiting = status === 'scheduled' || status === 'queued';
  return ACTION_COMMANDS.filter(([action, command]) => {
    if (!(DISPATCH_TRANSITIONS[command].by as readonly string[]).includes('dispatcher') || !canMove(command, status)) return false;
    if (action === 'change-priority') return waiting;
    if (action === 'manual-dispatch') return status === 'queued';
    return true;
  }).map(([action]) => action);
}

/** The driver's next step from a status (from the state machine), or null when the driver has nothing to do. */
export function nextDriverStep(status: DispatchStatus): { to: DispatchStatus; label: string } | null {
  const to = nextStepFrom(status);
  return to ? { to, label: t(`driver.nextStep.${to}`, { defaultValue: to }) } : null;
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

/** A status in words, lower case ("en route"), from the catalogue (`driver.statusWord`). */
export function statusLabel(status: string): string {
  return t(`driver.statusWord.${status}`, { defaultValue: status.replace(/_/g, ' ') });
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
  /** Position among the queued requests of the same type, and how many there are ("#2 of 5"). */
  position: number | null;
  competing: number | null;
  /** One line: why it waits (from the board). */
  reason: string | null;
  requestedStart: string;
  declineReason: string | null;
  /** Name of the driver who declined it last. */
  declinedBy: string | null;
  hold: { reason: string; notBefore: string | null } | null;
};
