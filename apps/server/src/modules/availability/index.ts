/**
 * Availability over time (DESIGN.md §5.4): shift patterns, exceptions, time off and planned
 * maintenance windows — their tables and THE predicates matching uses. It imports no other module,
 * so the dispatch engine and the planning module (routes, recurring work, forecasts) may both use it.
 */
export {
  driverAvailableAtSql,
  driverAvailableNowSql,
  equipmentAvailableAtSql,
  equipmentAvailableNowSql,
  planningZoneSql,
  allowOvertimeSql,
} from './availability.predicate.js';
export {
  selectShiftIntervals,
  selectDriverPlanStates,
  selectEquipmentWindowStates,
  type ShiftInterval,
  type DriverPlanState,
  type EquipmentWindowState,
} from './availability.repo.js';
export type { ShiftPatternsTable, ShiftExceptionsTable, TimeOffRequestsTable, MaintenanceWindowsTable } from './availability.tables.js';
export { readPlanningSettings, writePlanningSettings, DEFAULT_PLANNING_SETTINGS, sayDay, sayTime } from './availability.settings.js';
