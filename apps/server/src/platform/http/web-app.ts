import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const API_PREFIXES = ['/api/', '/oidc/', '/docs', '/metrics', '/healthz', '/readyz'];

/**
 * Serves the built single-page app from `dir`: files as they are, and index.html for any other
 * GET that is not an API path, so client-side routes survive a reload.
 */
export async function registerWebApp(app: FastifyInstance, dir: string): Promise<boolean> {
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) return false;
  await app.register(fastifyStatic, { root: dir, serve: false });
  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const url = (request.params as { '*': string })['*'];
    if (API_PREFIXES.some((p) => request.url.startsWith(p))) return reply.callNotFound();
    const file = path.normalize(url);
    if (file && !file.startsWith('..') && existsSync(path.join(dir, file)) && !file.endsWith('/')) {
      const immutable = file.startsWith('assets/');
      return reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(file);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
  return true;
}
