import type { Migration } from '../../platform/db/migrator.js';
import * as settings from './202611250301_platform_tenant_settings.js';
import * as people from './202611250310_people_schema.js';
import * as fleet from './202611250311_fleet_schema.js';
import * as sites from './202611250312_sites_schema.js';
import * as audit from './202611250420_audit_events.js';
import * as notifications from './202611250450_notifications_events.js';
import * as workOrders from './202611250530_work_orders_schema.js';
import * as dispatch from './202611250531_dispatch_schema.js';
import * as reporting from './202611250600_reporting_status_reports.js';
import * as reportingRetention from './202611250601_reporting_retention_guard.js';
import * as reportingIndexes from './202611250602_reporting_analytics_indexes.js';
import * as reportingOpenDispatches from './202611250603_reporting_open_dispatches_index.js';
import * as alerts from './202611250700_alerts_schema.js';
import * as resourcesIndexes from './202611300500_resources_lookup_indexes.js';
import * as dispatchStateMachine from './202612010400_dispatch_state_machine.js';
import * as driverAppFiles from './202612010600_driver_app_files.js';
import * as reportingRollup from './202612010800_reporting_analytics_rollup.js';
import * as reportingRollupCompact from './202612010900_reporting_rollup_compact.js';
import * as tenantRolePerDatabase from './202612021001_platform_tenant_role_per_database.js';
import * as writeSetFunctions from './202612022000_write_set_functions.js';
import * as dispatchHold from './202612024000_dispatch_hold.js';
import * as planning from './202612026000_planning_schema.js';
import * as alertsShortfall from './202612026001_alerts_qualification_shortfall.js';
import * as regions from './202612027000_regions_schema.js';
import * as regionsLiveEvents from './202612031000_regions_live_events.js';
import * as assignmentPlanning from './202612031001_dispatch_assignment_planning.js';
import * as authMfaRequiredRoles from './202612033002_auth_mfa_required_roles.js';
import * as idempotencyKeys from './202612035002_integrations_idempotency_keys.js';
import * as auditKeyedPersonalHash from './202612037000_audit_keyed_personal_hash.js';
import * as alertRegion from './202612040001_alert_region.js';
import * as dispatchHotPath from './202612050001_dispatch_hot_path.js';

/** Migrations run in every tenant schema, in this order (by name). Append only. */
export const tenantMigrations: readonly Migration[] = [
  settings,
  people,
  fleet,
  sites,
  audit,
  notifications,
  workOrders,
  dispatch,
  reporting,
  reportingRetention,
  reportingIndexes,
  reportingOpenDispatches,
  alerts,
  resourcesIndexes,
  dispatchStateMachine,
  driverAppFiles,
  reportingRollup,
  reportingRollupCompact,
  tenantRolePerDatabase,
  writeSetFunctions,
  dispatchHold,
  planning,
  alertsShortfall,
  regions,
  regionsLiveEvents,
  assignmentPlanning,
  authMfaRequiredRoles,
  idempotencyKeys,
  auditKeyedPersonalHash,
  alertRegion,
  dispatchHotPath,
];
