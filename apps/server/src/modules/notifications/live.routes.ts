import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { LiveEventsHeadersSchema } from '@yardmaster/contracts';
import { withTenant, type Database } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { forbidden } from '../../platform/errors.js';
import { findDriverBySubject } from '../people/index.js';
import type { Caller } from '../../platform/caller.js';
import type { LiveHub } from './live.hub.js';

/** null = sees every event of the tenant; otherwise the caller's driver id (sees events naming it). */
async function driverScopeOf(database: Database, caller: Caller): Promise<string | null> {
  if (caller.roles.some((role) => role === 'admin' || role === 'dispatcher' || role === 'viewer')) return null;
  const driver = await withTenant(database.db, caller.tenantSlug, (tx) => findDriverBySubject(tx, caller.subject));
  if (!driver) throw forbidden('no driver record of this tenant is linked to your account');
  return driver.id;
}

export function liveRoutes(database: Database, hub: LiveHub) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/v1/events',
      {
        config: { access: { roles: ['admin', 'dispatcher', 'driver', 'viewer'] } },
        schema: {
          tags: ['live'],
          summary: 'Live events (Server-Sent Events); send Last-Event-ID to resume',
          description:
            'text/event-stream of the tenant\'s events (drivers: only events naming them). Each message: `id`, `event` (type), `data` (LiveEvent JSON). `event: resync` = refetch. Comment lines are heartbeats.',
          headers: LiveEventsHeadersSchema,
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const driverId = await driverScopeOf(database, caller);
        const header = request.headers['last-event-id'];
        const lastEventId = typeof header === 'string' && header !== '' ? Number(header) : null;
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': String(request.id),
        });
        raw.write(': connected\nretry: 3000\n\n');
        hub.attach({ raw, slug: caller.tenantSlug, driverId, lastSent: 0, closed: false }, lastEventId);
      },
    );
  };
}
