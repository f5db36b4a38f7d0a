import { sql, type Transaction } from 'kysely';
import { regenerateDispatchStatusRules } from './202612010400_dispatch_state_machine.js';

export const name = '202612024000_dispatch_hold';

/**
 * Recall can hold (issue 15): the state machine gains `held` (contracts), so the status rules are
 * regenerated from it; a held dispatch records when, why and the optional time before which it is
 * not dispatched. The board reads held work with the scheduled and active ones.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`alter table dispatches add column held_at timestamptz, add column hold_reason text, add column hold_not_before timestamptz`.execute(
    db,
  );
  await regenerateDispatchStatusRules(db);
  await sql`create index dispatches_held_idx on dispatches (held_at) where status = 'held'`.execute(db);
}
