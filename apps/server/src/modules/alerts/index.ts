export { alertsRoutes, type AlertsOptions } from './alerts.routes.js';
export { evaluateAlerts, listAlerts } from './alerts.service.js';
