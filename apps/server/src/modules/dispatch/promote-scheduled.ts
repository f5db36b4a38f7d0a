import { sql } from 'kysely';
import type { DispatchSettings } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { lockDueScheduled, selectDispatch } from './dispatch.repo.js';
import { changeDispatch } from './record-change.js';

/** Moves scheduled dispatches whose start (minus lead time) has come into the queue (the caller holds the queue lock); returns how many. */
export async function promoteDueScheduled(tx: TenantTx, caller: Caller, settings: DispatchSettings): Promise<number> {
  const due = await lockDueScheduled(tx, settings.scheduleLeadMinutes);
  for (const id of due) {
    const row = await selectDispatch(tx, id);
    if (!row) continue;
    await changeDispatch(
      tx,
      caller,
      row,
      { status: 'queued', queued_at: sql<Date>`clock_timestamp()`, queue_seq: sql<number>`nextval('dispatch_queue_seq')` },
      'dispatch.queued',
    );
  }
  return due.length;
}
