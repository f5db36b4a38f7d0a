export { importsRoutes } from './imports.routes.js';
export { importCsv, exportCsv, type ImportKind, type ImportReport } from './imports.service.js';
