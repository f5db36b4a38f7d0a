/**
 * The audit module's door. Every state-changing use case calls `recordAudit` in its own
 * transaction; tests and other modules read events back with `listAuditEvents` (e.g. everything
 * after the `auditHead` taken before an action).
 *
 * `recordAudit` takes the tenant's chain-head row lock and holds it until commit (that is what
 * keeps sequences gap-free): call it at the END of the use case, after your own row locks, so the
 * tenant's writers are serialised only briefly and lock order stays "your rows, then audit".
 * `before`/`after` may be whole records: only changed fields are stored; secret-looking fields
 * (password, token, secret, API key, credential) are stored as "[redacted]".
 */
export { recordAudit, recordAuditBatch, holdAuditChain, type AuditEntry } from './audit.record.js';
export { auditHead, entityHistory, listAuditEvents, verifyAuditChain } from './audit.service.js';
export { auditRoutes } from './audit.routes.js';
