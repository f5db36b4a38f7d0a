export * from './common.js';
export * from './problem.js';
export * from './health.js';
export * from './tenants.js';
export * from './auth.js';
