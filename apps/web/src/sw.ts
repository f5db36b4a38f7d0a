/// <reference lib="webworker" />
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

/**
 * The driver app's service worker: the app shell is precached, so the app opens without signal
 * (the jobs themselves come from the phone's IndexedDB copy, written by the app); Web Push messages
 * (new job, recall, change) are shown with the app closed, and a tap opens the driver view.
 */
declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
// Client-side routes load index.html from the cache; the API, identity provider and docs never do.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/api\//, /^\/oidc\//, /^\/docs/, /^\/healthz/, /^\/readyz/, /^\/metrics/],
  }),
);

self.addEventListener('install', () => {
  void self.skipWaiting();
});
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

type PushMessage = { title: string; body: string; tag?: string; url?: string };

self.addEventListener('push', (event) => {
  let message: PushMessage = { title: 'Yardmaster', body: 'Your jobs have changed.' };
  try {
    message = { ...message, ...(event.data?.json() as Partial<PushMessage>) };
  } catch {
    // not JSON: keep the generic text
  }
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      tag: message.tag,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { url: message.url ?? '/driver' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data as { url?: string } | undefined)?.url ?? '/driver';
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).pathname.startsWith('/driver'));
      if (open) return open.focus();
      return self.clients.openWindow(url);
    })(),
  );
});
