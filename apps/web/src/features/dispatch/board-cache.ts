import { ACTIVE_DISPATCH_STATUSES, type Board, type Dispatch } from '@yardmaster/contracts';

/**
 * The board in the query cache, changed by entity: a dispatch from a live event, a mutation's
 * answer or an optimistic guess replaces its card (or removes it when it left the board). Pure, so
 * the rules are tested without a browser; positions and reasons are reconciled by the next board
 * read in the background.
 */
type Queued = Board['queued'][number];

const isActive = (status: Dispatch['status']): boolean => (ACTIVE_DISPATCH_STATUSES as readonly string[]).includes(status);

function findCard(board: Board, id: string): Dispatch | Queued | undefined {
  return (
    board.queued.find((d) => d.id === id) ??
    board.scheduled.find((d) => d.id === id) ??
    board.active.find((d) => d.id === id) ??
    board.held.find((d) => d.id === id)
  );
}

/** The board with `dispatch` in its place (newer versions only: an old event never undoes a newer answer). */
export function applyDispatch(board: Board, dispatch: Dispatch): Board {
  const current = findCard(board, dispatch.id);
  if (current && current.version > dispatch.version) return board;
  const without = <T extends { id: string }>(list: T[]): T[] => list.filter((d) => d.id !== dispatch.id);
  const next: Board = {
    ...board,
    queued: without(board.queued),
    scheduled: without(board.scheduled),
    active: without(board.active),
    held: without(board.held),
  };
  if (dispatch.status === 'queued') {
    const previous = board.queued.find((d) => d.id === dispatch.id);
    const sameType = next.queued.filter((d) => d.equipmentTypeId === dispatch.equipmentTypeId);
    const card: Queued = {
      ...dispatch,
      queuePosition: previous?.queuePosition ?? sameType.length + 1,
      competing: previous?.competing ?? sameType.length + 1,
      reason: previous?.reason ?? '',
      waitingSeconds: previous?.waitingSeconds ?? 0,
    };
    next.queued = [...next.queued, card];
  } else if (dispatch.status === 'scheduled') next.scheduled = [...next.scheduled, dispatch];
  else if (dispatch.status === 'held') next.held = [...next.held, dispatch];
  else if (isActive(dispatch.status)) next.active = [...next.active, dispatch];
  return next;
}

/** The board with one card changed as a command is expected to change it (before the server answers). */
export function guessDispatch(board: Board, id: string, change: (d: Dispatch) => Dispatch | null): Board {
  const current = findCard(board, id);
  if (!current) return board;
  const changed = change(current);
  if (changed === null) {
    return applyDispatch(board, { ...current, status: 'cancelled', version: current.version + 1 });
  }
  return applyDispatch(board, { ...changed, version: current.version + 1 });
}
