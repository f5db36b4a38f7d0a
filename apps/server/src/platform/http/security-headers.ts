import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export type SecurityHeaderOptions = {
  /** Origins the web app talks to besides its own (an external identity provider's token endpoint). */
  connectOrigins?: readonly string[];
  /** Map style, tile and glyph hosts (MAP_STYLE_URL, MAP_ORIGINS): fetched and drawn by the map. */
  mapOrigins?: readonly string[];
};

/**
 * Security headers on every answer, API and pages alike (@fastify/helmet):
 * - Content-Security-Policy: scripts and styles only from this origin, no inline script, no eval;
 *   the web app's and Mantine's `<style>` elements carry the per-response nonce (see web-app.ts);
 *   `frame-ancestors 'none'`, `object-src 'none'`, `base-uri 'self'`, `form-action 'self'`.
 * - X-Content-Type-Options: nosniff; Referrer-Policy: no-referrer; X-Frame-Options: DENY;
 *   Cross-Origin-Opener-Policy and -Resource-Policy: same-origin.
 * - Strict-Transport-Security only when the request came over HTTPS: TLS on this server, or a proxy
 *   in front (TRUST_PROXY) that says `X-Forwarded-Proto: https`. Never on plain HTTP, where it would
 *   be ignored anyway and would pin a development host to HTTPS.
 * Headers are set on the raw response, so the embedded identity provider's pages get them too.
 */
export async function registerSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions = {}): Promise<void> {
  const directives = {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:', ...(options.mapOrigins ?? [])],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'", ...(options.connectOrigins ?? []), ...(options.mapOrigins ?? [])],
    workerSrc: ["'self'"],
    manifestSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  };
  // Swagger UI (/docs) injects a <style> element of its own: its pages alone allow inline styles
  // (a nonce would void 'unsafe-inline', so none there). Scripts stay 'self' only.
  const docsPolicy = {
    enableCSPNonces: false,
    contentSecurityPolicy: { useDefaults: false, directives: { ...directives, styleSrc: ["'self'", "'unsafe-inline'"] } },
  };
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/'))
      route.config = { ...(route.config as object), helmet: docsPolicy } as typeof route.config;
  });
  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: { useDefaults: false, directives },
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https') reply.raw.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
  });
}
