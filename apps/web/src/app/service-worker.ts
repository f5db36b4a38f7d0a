let registered = false;

/**
 * The installable driver app's service worker (built by vite-plugin-pwa; it precaches every asset).
 * Registered only where it is needed — the driver app — so a dispatcher's cold sign-in downloads
 * the app once, not a second time into the precache.
 */
export function registerServiceWorker(): void {
  if (registered || !('serviceWorker' in navigator) || import.meta.env.MODE === 'development') return;
  registered = true;
  navigator.serviceWorker
    .register('/sw.js', { scope: '/' })
    .catch((error: unknown) => console.warn('service worker not registered', error));
}
