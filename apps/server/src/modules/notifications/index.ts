/**
 * The notifications module's door: live events (SSE) and outbound webhooks.
 *
 * Other modules call `publishEvent(tx, { type, entityType, entityId, data, driverIds? })` in the
 * transaction of every change a dispatcher board shows; it is durable and same-transaction.
 */
export { publishEvent, type LiveEventInput } from './publish.js';
