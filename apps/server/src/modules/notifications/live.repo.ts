import type { TenantTx } from '../../platform/db/index.js';

/**
 * The tenant's driver linked to a token subject. (The people module exports `findDriverBySubject`,
 * but people publishes live events through this module's door: importing it back would be a cycle.)
 */
export async function selectDriverIdBySubject(tx: TenantTx, subject: string): Promise<string | undefined> {
  const row = await tx
    .selectFrom('drivers')
    .select('id')
    .where('subject', '=', subject)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  return row?.id;
}

/** The id of the tenant's latest live event: every change a board shows moves it (one-row read). */
export async function selectEventPosition(tx: TenantTx): Promise<number> {
  const row = await tx.selectFrom('live_counter').select('last_id').executeTakeFirst();
  return row?.last_id ?? 0;
}
