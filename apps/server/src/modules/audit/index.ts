/**
 * The audit module's door. Every state-changing use case calls `recordAudit` in its own
 * transaction; tests and other modules read events back with `listAuditEvents` (e.g. everything
 * after the `auditHead` taken before an action).
 *
 * `recordAudit` buffers the event; the transaction's final statement (`audit_append`, just before
 * COMMIT) takes the tenant's chain-head row lock, appends and hashes in SQL, and holds the lock only
 * until COMMIT (that is what keeps sequences gap-free), so lock order is always "your rows, then audit".
 * `before`/`after` may be whole records: only changed fields are stored; secret-looking fields
 * (password, token, secret, API key, credential) are stored as "[redacted]".
 */
export { recordAudit, recordAuditBatch, holdAuditChain, type AuditEntry } from './audit.record.js';
export { auditHead, entityHistory, listAuditEvents, verifyAuditChain } from './audit.service.js';
export { auditRoutes } from './audit.routes.js';
export { pseudonymiseAuditTrail, type AuditPerson } from './audit.erasure.js';
