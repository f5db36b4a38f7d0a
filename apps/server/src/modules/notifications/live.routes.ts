import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { LiveEventsHeadersSchema } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner, type TenantRunner } from '../../platform/http/tenant-route.js';
import { selectDriverIdBySubject } from './live.repo.js';
import { regionScopeOf, type Caller } from '../../platform/caller.js';
import type { LiveHub } from './live.hub.js';
import { openStreamSlot } from '../limits/index.js';

/**
 * Admins, dispatchers and viewers see every event of the tenant — a region-limited dispatcher or
 * viewer only events about their regions and shared ones (the regions policy's scope, as at
 * connect time); a driver sees events naming their
 * driver record (none while no record is linked to their account). Read in a tenant transaction
 * for everyone, before the stream opens: while the database is unreachable the request is
 * answered 503 with Retry-After rather than with a stream that never joins.
 */
async function scopeOf(
  inTenant: TenantRunner,
  request: FastifyRequest,
  caller: Caller,
): Promise<{ driversOnly: boolean; driverId: string | null; regions: readonly string[] | null }> {
  const isDriverOnly = !caller.roles.some((role) => role === 'admin' || role === 'dispatcher' || role === 'viewer');
  const driverId = await inTenant(request, (tx) =>
    isDriverOnly ? selectDriverIdBySubject(tx, caller.subject) : Promise.resolve(undefined),
  );
  return isDriverOnly
    ? { driversOnly: true, driverId: driverId ?? null, regions: null }
    : { driversOnly: false, driverId: null, regions: regionScopeOf(caller) };
}

export function liveRoutes(database: Database, hub: LiveHub) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/events',
      {
        config: { access: { roles: ['admin', 'dispatcher', 'driver', 'viewer'] } },
        schema: {
          tags: ['live'],
          summary: 'Live events (Server-Sent Events); send Last-Event-ID to resume',
          description:
            "text/event-stream of the tenant's events (drivers: only events naming them; region-limited dispatchers and viewers: only events about their regions or shared ones). Each message: `id`, `event` (type), `data` (LiveEvent JSON). `event: resync` = refetch. Comment lines are heartbeats.",
          headers: LiveEventsHeadersSchema,
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const scope = await scopeOf(inTenant, request, caller);
        const header = request.headers['last-event-id'];
        const lastEventId = typeof header === 'string' && header !== '' ? Number(header) : null;
        // Per-user and per-tenant caps on open streams (429 + Retry-After when full).
        const releaseSlot = await openStreamSlot(request, reply);
        reply.hijack();
        const raw = reply.raw;
        raw.once('close', releaseSlot);
        if (request.raw.destroyed) releaseSlot();
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': String(request.id),
        });
        raw.write(': connected\nretry: 3000\n\n');
        hub.attach({ raw, slug: caller.tenantSlug, ...scope, lastSent: 0, closed: false }, lastEventId);
      },
    );
  };
}
