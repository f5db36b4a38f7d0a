/** One search box over the modules that own work orders, sites, equipment and drivers. */
export { searchRoutes } from './search.routes.js';
