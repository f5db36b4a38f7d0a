/**
 * Planning (issue 18): shift patterns and exceptions, time off, maintenance windows (the tables and
 * matching predicates live in modules/availability), recurring work orders, the capacity check at
 * booking time, the ETA of queued requests and the qualification-expiry impact forecast.
 */
export { planningRoutes, type PlanningRoutesOptions } from './planning.routes.js';
export { estimateQueue, forecastQualificationImpact, checkCapacity } from './forecasts.js';
export { materializeAll, createRecurringWorkOrder, editOccurrence } from './recurring.js';
export { planningSettingsFor } from './settings.js';
