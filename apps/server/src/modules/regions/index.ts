export { regionsRoutes } from './regions.routes.js';
export { assertRegionsExist, regionForWrite } from './regions.service.js';
export { assertMayActInRegion, assertMaySeeRegion, isInRegionScope, regionLaneSql, regionMatchSql, regionScopeKey, regionScopeOf, regionVisibleSql, siteVisibleSql, type RegionSubject } from './regions.policy.js';
export { readRegionSettings } from './regions.settings.js';
