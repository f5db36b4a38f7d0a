import { mayMove, type DispatchActor, type DispatchCommand } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';
import { findDriverBySubject } from '../people/index.js';

/** The one place that decides who may see or move a dispatch. */

/** A caller as the state machine knows them: dispatchers and admins act as `dispatcher`; a driver-only caller as `driver`. */
export function actorOf(caller: Caller): DispatchActor {
  if (caller.kind === 'system') return 'system';
  return caller.roles.includes('admin') || caller.roles.includes('dispatcher') ? 'dispatcher' : 'driver';
}

/**
 * May `caller` see this dispatch? Dispatchers, admins and viewers see every dispatch; a driver
 * only their own (others' answer 404, as if they did not exist). Returns the caller's driver id
 * when they act as a driver.
 */
export async function assertMaySee(tx: TenantTx, caller: Caller, dispatch: { id: string; driver_id: string | null }): Promise<void> {
  if (caller.kind === 'system' || caller.roles.some((r) => r === 'admin' || r === 'dispatcher' || r === 'viewer')) return;
  const me = await findDriverBySubject(tx, caller.subject);
  if (!me || me.id !== dispatch.driver_id) throw notFound('dispatch', dispatch.id);
}

/**
 * May `caller` make this move? A driver only on their own dispatch (404 otherwise) and only the
 * moves the state machine gives drivers; dispatchers the dispatcher moves.
 */
export async function assertMayMove(tx: TenantTx, caller: Caller, command: DispatchCommand, dispatch: { id: string; driver_id: string | null }): Promise<void> {
  const actor = actorOf(caller);
  if (actor !== 'driver' && mayMove(command, actor)) return;
  if (caller.roles.includes('driver') && mayMove(command, 'driver')) {
    const me = await findDriverBySubject(tx, caller.subject);
    if (me && me.id === dispatch.driver_id) return;
  }
  throw notFound('dispatch', dispatch.id);
}
