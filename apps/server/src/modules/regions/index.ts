export { regionsRoutes } from './regions.routes.js';
export { assertRegionsExist, createRegion, regionForWrite } from './regions.service.js';
export {
  assertMayActInRegion,
  assertMaySeeRegion,
  crossRegionAllowedSql,
  alertVisibleSql,
  EVERY_REGION,
  isEntityVisible,
  isInRegionScope,
  regionLaneSql,
  regionLanesApartSql,
  regionMatchSql,
  regionScopeKey,
  regionScopeOf,
  regionVisibleSql,
  siteVisibleSql,
  type RegionSubject,
} from './regions.policy.js';
export { readRegionSettings, updateRegionSettings } from './regions.settings.js';
