/**
 * The reporting module's door. The dispatch module calls `recordStatusReport` in the transaction
 * that finishes a dispatch (completed or recalled).
 */
export { recordStatusReport } from './reporting.record.js';
export type { StatusReportSnapshot } from '@yardmaster/contracts';
export { reportingRoutes } from './reporting.routes.js';
export { openReportingDatabase } from './reporting.replica.js';
export { rebuildTenantRollup } from './reporting.rollup.js';
