export { tenantsRoutes } from './tenants.routes.js';
export { createTenant, tenantView } from './tenants.service.js';
