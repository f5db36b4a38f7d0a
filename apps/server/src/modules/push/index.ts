/**
 * Web Push to drivers (VAPID, RFC 8291 encryption via the `web-push` package): subscriptions per
 * driver, and a worker that follows the durable live-event stream and tells a driver about a new
 * job, a recall or a change with the app closed.
 */
export { pushRoutes } from './push.routes.js';
export { drainPush, pushMessageOf, type PushOptions } from './push.service.js';
export { loadVapidKeys, type VapidKeys } from './push.keys.js';
export { endpointProblem } from './push.endpoint.js';
