/**
 * The notifications module's door: live events (SSE) and outbound webhooks.
 *
 * Other modules call `publishEvent(tx, { type, entityType, entityId, data, driverIds? })` in the
 * transaction of every change a dispatcher board shows; it is durable and same-transaction
 * (replayable for 24 h, pushed to SSE clients of every instance after commit, queued for matching
 * webhook subscriptions). It takes the tenant's event-counter row lock until commit: call it late,
 * after `recordAudit` (lock order: your rows, audit chain, live counter), so writers never deadlock.
 * Event ids are per tenant, increasing in commit order, without gaps.
 */
export { publishEvent, type LiveEventInput } from './publish.js';
export { notificationsRoutes, notificationsOf, type NotificationsHandle } from './notifications.routes.js';
export type { NotificationsSettings } from './settings.js';
export { verifyWebhookSignature, signWebhook } from './webhooks.signature.js';
export { readLiveEventsAfter, type StoredLiveEvent } from './events-read.js';
/** The tenant's latest live-event id, for caches invalidated by the event stream (one-row read). */
export { selectEventPosition } from './live.repo.js';
