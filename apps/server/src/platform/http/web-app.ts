import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

const API_PREFIXES = ['/api/', '/oidc/', '/docs', '/metrics', '/healthz', '/readyz'];

/** The placeholder in index.html that becomes the response's CSP style nonce (Mantine's `<style>` elements use it). */
const NONCE_PLACEHOLDER = '__CSP_NONCE__';

/**
 * Serves the built single-page app from `dir`: files as they are (brotli or gzip when the build
 * pre-compressed them and the browser accepts it; content-hashed `assets/` cached for a year as
 * immutable), and index.html for any other GET that is not an API path, so client-side routes
 * survive a reload.
 */
export async function registerWebApp(app: FastifyInstance, dir: string): Promise<boolean> {
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) return false;
  const indexHtml = readFileSync(index, 'utf8');
  const sendIndex = (reply: FastifyReply) => {
    const nonce = (reply as FastifyReply & { cspNonce?: { style: string } | null }).cspNonce?.style ?? '';
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(indexHtml.replaceAll(NONCE_PLACEHOLDER, nonce));
  };
  // The build writes `.br` and `.gz` beside every text asset: sent as the browser accepts them.
  await app.register(fastifyStatic, { root: dir, serve: false, preCompressed: true });
  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const url = (request.params as { '*': string })['*'];
    if (API_PREFIXES.some((p) => request.url.startsWith(p))) return reply.callNotFound();
    const file = path.normalize(url);
    if (
      file &&
      file !== '.' &&
      !file.startsWith('..') &&
      file !== 'index.html' &&
      existsSync(path.join(dir, file)) &&
      !file.endsWith('/')
    ) {
      const immutable = file.startsWith('assets/');
      return reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(file);
    }
    return sendIndex(reply);
  });
  return true;
}
