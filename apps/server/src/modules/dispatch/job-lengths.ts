import type { JobLengths } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import { selectJobLengths } from './dispatch.repo.js';

/** Without history a job is expected to last an hour (as in explain). */
export const DEFAULT_JOB_SECONDS = 3600;

/** How long a job of each type typically lasts, for the dispatcher's timeline. */
export async function readJobLengths(tx: TenantTx): Promise<JobLengths> {
  const rows = await selectJobLengths(tx);
  return {
    defaultSeconds: DEFAULT_JOB_SECONDS,
    types: rows.map((r) => ({ equipmentTypeId: r.equipment_type_id, meanSeconds: Math.round(r.seconds), finished: r.finished })),
  };
}
