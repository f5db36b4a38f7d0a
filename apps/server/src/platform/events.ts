import type { Kysely } from 'kysely';
import { databaseOf, onCommit, type ControlTables, type TenantTx } from './db/index.js';
import type { Caller } from './caller.js';

/**
 * In-process domain hooks. Lower modules announce inside their transaction; higher modules
 * subscribe — wired in the composition root (app.ts, cli.ts), never by import side effect.
 * Handlers run AFTER the announcing transaction commits (never if it rolls back), each in a
 * transaction of its own that it opens on the given database: a handler's failure can never
 * undo the change that caused it. It is reported to the handler's `onError` (a logger), and the
 * durable safety net (e.g. the dispatch sweeper) catches up on whatever it missed. The announcing
 * call returns once the handlers have run, so "capacity freed → queue matched" is visible to the
 * caller as soon as its request completes.
 */
export type DomainEvents = {
  /** Capacity may have grown: a resource was added, freed, went on duty, came back from maintenance, a qualification was added or renewed. */
  'capacity.changed': {
    reason:
      | 'equipment.added'
      | 'equipment.available'
      | 'driver.added'
      | 'driver.on_duty'
      | 'driver.qualification_changed'
      | 'equipment_type.requirements_changed'
      | 'dispatch.released'
      | 'planning.changed'
      | 'regions.cross_matching_allowed';
    /** What changed, so matching looks only at the queued requests the change can serve. */
    equipmentId?: string;
    driverId?: string;
    equipmentTypeId?: string;
    qualificationIds?: string[];
  };
};

export type DomainEventName = keyof DomainEvents;
/** Receives every announcement of one committed transaction at once (one import of 500 drivers: one call). */
type Handler<K extends DomainEventName> = (
  db: Kysely<ControlTables>,
  caller: Caller,
  payloads: ReadonlyArray<DomainEvents[K]>,
) => Promise<void>;
type Subscription = { handler: Handler<DomainEventName>; onError: (error: unknown, payloads: unknown) => void };

const handlers = new Map<DomainEventName, Map<string, Subscription>>();
const announced = new WeakMap<TenantTx, Map<DomainEventName, unknown[]>>();

/** Subscribes a handler under a stable key (subscribing the same key again replaces it). */
export function subscribe<K extends DomainEventName>(
  name: K,
  key: string,
  handler: Handler<K>,
  onError: (error: unknown, payloads: ReadonlyArray<DomainEvents[K]>) => void,
): void {
  const forName = handlers.get(name) ?? new Map<string, Subscription>();
  forName.set(key, { handler: handler as Handler<DomainEventName>, onError: onError as (error: unknown, payloads: unknown) => void });
  handlers.set(name, forName);
}

/** Schedules every subscriber of `name` to run after the caller's transaction commits (once per transaction). */
export async function announce<K extends DomainEventName>(tx: TenantTx, caller: Caller, name: K, payload: DomainEvents[K]): Promise<void> {
  if ((handlers.get(name)?.size ?? 0) === 0) return;
  const byName = announced.get(tx) ?? new Map<DomainEventName, unknown[]>();
  announced.set(tx, byName);
  const list = byName.get(name);
  if (list) {
    list.push(payload);
    return;
  }
  const payloads: unknown[] = [payload];
  byName.set(name, payloads);
  const db = databaseOf(tx);
  onCommit(tx, async () => {
    for (const { handler, onError } of handlers.get(name)?.values() ?? []) {
      try {
        await handler(db, caller, payloads as DomainEvents[K][]);
      } catch (error) {
        onError(error, payloads);
      }
    }
  });
  return Promise.resolve();
}
