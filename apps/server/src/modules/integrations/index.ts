export { integrationsRoutes, type IntegrationsRoutesOptions } from './integrations.routes.js';
export {
  findServiceAccountByClientId,
  isServiceAccountClientId,
  isServiceAccountSecret,
  recordServiceAccountToken,
  type ServiceAccountIdentity,
} from './service-accounts.js';
export {
  runIdempotent,
  idempotencyKeyOf,
  deleteExpiredIdempotencyKeys,
  IDEMPOTENT_REPLAYED_HEADER,
  IDEMPOTENCY_KEY_TTL_HOURS,
  type IdempotentResult,
} from './idempotency.js';
