import type { FastifyInstance } from 'fastify';
import type { Database } from '../../platform/db/index.js';
import { createOutbound, type Outbound } from '../../platform/net/outbound.js';
import { createLiveHub, type LiveHub } from './live.hub.js';
import { liveRoutes } from './live.routes.js';
import { defaultNotificationsSettings, type NotificationsSettings } from './settings.js';
import { createWebhookWorker, type WebhookWorker } from './webhooks.worker.js';
import { webhooksRoutes } from './webhooks.routes.js';

export type NotificationsHandle = { settings: NotificationsSettings; hub: LiveHub; webhooks: WebhookWorker };

const handles = new WeakMap<object, NotificationsHandle>();

/** This app's live hub, webhook worker and (mutable) settings; tests shorten intervals with it. */
export function notificationsOf(app: FastifyInstance): NotificationsHandle {
  const handle = handles.get(app.server);
  if (!handle) throw new Error('the notifications module is not registered on this app');
  return handle;
}

/**
 * Live events (SSE) and webhooks. Workers start when the app is ready and stop when it closes;
 * open streams are ended before the HTTP server closes, so `app.close()` never waits on them.
 */
export function notificationsRoutes(
  database: Database,
  overrides: Partial<NotificationsSettings> = {},
  outbound: Outbound = createOutbound(),
) {
  return async (app: FastifyInstance): Promise<void> => {
    const settings = { ...defaultNotificationsSettings(), ...overrides };
    const hub = createLiveHub(database, settings, app.log);
    const webhooks = createWebhookWorker(database, settings, outbound, app.log);
    handles.set(app.server, { settings, hub, webhooks });
    app.addHook('onReady', async () => {
      await hub.start();
      webhooks.start();
    });
    app.addHook('preClose', async () => {
      hub.endStreams();
    });
    app.addHook('onClose', async () => {
      await hub.stop();
      await webhooks.stop();
    });
    await app.register(liveRoutes(database, hub));
    await app.register(webhooksRoutes(database, webhooks, outbound));
  };
}
