export { localeRoutes } from './locale.routes.js';
export { readTenantLocale } from './locale.settings.js';
