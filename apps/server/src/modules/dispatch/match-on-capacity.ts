import type { Kysely } from 'kysely';
import type { Caller } from '../../platform/caller.js';
import { withTenant, type ControlTables, type TenantTx } from '../../platform/db/index.js';
import { subscribe, type DomainEvents } from '../../platform/events.js';
import { lockDispatchQueue, selectTypesRequiring, selectTypesServableBy } from './dispatch.repo.js';
import { matchQueue, type MatchScope } from './match-queue.js';

type CapacityChange = DomainEvents['capacity.changed'];

/** The equipment types whose queued requests a set of capacity changes can serve (null: any). */
async function scopeOf(tx: TenantTx, changes: ReadonlyArray<CapacityChange>): Promise<MatchScope> {
  const types = new Set<string>();
  for (const change of changes) {
    if (change.equipmentTypeId) types.add(change.equipmentTypeId);
    else if (change.driverId) for (const t of await selectTypesServableBy(tx, change.driverId)) types.add(t);
    else if (change.qualificationIds) for (const t of await selectTypesRequiring(tx, change.qualificationIds)) types.add(t);
    else return { typeIds: null };
  }
  return { typeIds: [...types] };
}

/**
 * Matches the queue after capacity grew (a machine added or back in service, a driver on duty or
 * newly qualified, a type's requirements changed), in its own transaction after the change
 * committed, looking only at the requests the change can serve.
 */
export async function matchAfterCapacityChange(
  db: Kysely<ControlTables>,
  caller: Caller,
  changes: ReadonlyArray<CapacityChange>,
): Promise<number> {
  return withTenant(db, caller.tenantSlug, async (tx) => {
    const settings = await lockDispatchQueue(tx);
    if (!settings.autoProcessing) return 0;
    return (await matchQueue(tx, caller, settings, await scopeOf(tx, changes))).length;
  });
}

export type WarnLogger = { warn: (obj: Record<string, unknown>, msg: string) => void };

/**
 * Wires the dispatch engine to the resource modules' capacity announcements. Called by the
 * composition roots (app.ts, cli.ts; the tests' database helper). A failed match is logged; the
 * sweeper retries within seconds, and the resource change stays committed.
 */
export function wireDispatchToCapacity(log: WarnLogger): void {
  subscribe(
    'capacity.changed',
    'dispatch.match-queue',
    async (db, caller, changes) => void (await matchAfterCapacityChange(db, caller, changes)),
    (error, changes) => {
      log.warn({ err: error, changes: changes.map((c) => c.reason) }, 'matching after a capacity change failed; the sweeper will retry');
    },
  );
}
