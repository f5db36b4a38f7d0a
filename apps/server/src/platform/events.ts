import type { TenantTx } from './db/index.js';
import type { Caller } from './caller.js';

/**
 * In-process domain hooks. Lower modules announce; higher modules subscribe. Handlers run inside
 * the announcer's transaction, so e.g. "equipment back in service" and the queue match it
 * triggers commit (or roll back) together. Nothing here is durable by itself: durable effects are
 * rows written by the handlers in that same transaction.
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
      | 'dispatch.released';
    equipmentId?: string;
    driverId?: string;
    equipmentTypeId?: string;
  };
};

export type DomainEventName = keyof DomainEvents;
type Handler<K extends DomainEventName> = (tx: TenantTx, caller: Caller, payload: DomainEvents[K]) => Promise<void>;

const handlers = new Map<DomainEventName, Map<string, Handler<DomainEventName>>>();

/** Subscribes a handler under a stable key (subscribing the same key again replaces it). */
export function subscribe<K extends DomainEventName>(name: K, key: string, handler: Handler<K>): void {
  const forName = handlers.get(name) ?? new Map<string, Handler<DomainEventName>>();
  forName.set(key, handler as Handler<DomainEventName>);
  handlers.set(name, forName);
}

/** Runs every subscriber of `name` in the caller's transaction, in subscription order. */
export async function announce<K extends DomainEventName>(tx: TenantTx, caller: Caller, name: K, payload: DomainEvents[K]): Promise<void> {
  for (const handler of handlers.get(name)?.values() ?? []) await handler(tx, caller, payload);
}
