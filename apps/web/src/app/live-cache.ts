import type { QueryClient, QueryKey } from '@tanstack/react-query';
import type { Dispatch } from '@yardmaster/contracts';
import { dispatchKeys, putDispatch, reconcileBoard } from '../features/dispatch/api';

export type CacheEvent = { type: string; entityType?: string; data?: Record<string, unknown> };

/**
 * The query areas a live event can have changed, by the entity it carries. Queries outside them
 * are left alone (invalidating every query on every event turned 50 ms answers into seconds).
 */
export function areasOf(event: CacheEvent): QueryKey[] | 'everything' {
  switch (event.entityType ?? '') {
    case 'dispatch':
      // The board is updated from the payload itself; these lists show what a dispatch holds.
      return [
        ['driver'],
        ['work-orders'],
        ['reports'],
        ['audit'],
        [...dispatchKeys.all, 'candidates'],
        [...dispatchKeys.all, 'explain'],
        ['fleet', 'equipment', 'panel'],
        ['people', 'drivers', 'panel'],
      ];
    case 'equipment':
    case 'equipment_type':
      return [['fleet'], [...dispatchKeys.all, 'candidates']];
    case 'driver':
    case 'qualification':
      return [['people'], ['driver'], [...dispatchKeys.all, 'candidates']];
    case 'site':
      return [['sites']];
    case 'alert':
      return [['alerts'], dispatchKeys.alerts()];
    default:
      return 'everything';
  }
}

/**
 * Applies live events to the query cache: a dispatch in the payload replaces its card on the
 * board at once; the areas the entity touches are refreshed once per burst; the board itself is
 * reconciled in the background (positions and reasons of other cards).
 */
export function createLiveCacheUpdater(client: QueryClient, delayMs = 150) {
  const pending: QueryKey[] = [];
  let everything = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    if (everything) void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
    else for (const queryKey of pending) void client.invalidateQueries({ queryKey });
    pending.length = 0;
    everything = false;
  };
  return (event: CacheEvent): void => {
    const dispatch = event.entityType === 'dispatch' ? (event.data?.dispatch as Dispatch | undefined) : undefined;
    if (dispatch) putDispatch(client, dispatch);
    if (event.entityType !== 'site' && event.entityType !== 'alert') reconcileBoard(client);
    const areas = areasOf(event);
    if (areas === 'everything') everything = true;
    else for (const area of areas) if (!pending.some((k) => JSON.stringify(k) === JSON.stringify(area))) pending.push(area);
    timer ??= setTimeout(flush, delayMs);
  };
}
