import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReadRouter } from '../db/read-routing.js';

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Who reads: a tenant's user (their own writes must be visible to them). */
export function readerOf(request: FastifyRequest): string {
  const actor = request.actor;
  return actor?.tenant ? `${actor.tenant.slug}:${actor.subject}` : 'anonymous';
}

/**
 * Read-your-writes for replica reads: after a successful write by a tenant user, and before the
 * response leaves, note the primary's WAL position for that user (one extra round trip per write,
 * only when a replica is configured). Exposes the replica's lag in /metrics.
 */
export function registerReadYourWrites(app: FastifyInstance, router: ReadRouter, registry: Registry): void {
  if (router.status() === undefined) return;
  app.addHook('onSend', async (request, reply, payload) => {
    if (READ_ONLY_METHODS.has(request.method) || reply.statusCode >= 400 || !request.actor?.tenant) return payload;
    try {
      await router.noteWrite(readerOf(request));
    } catch (error) {
      // The write committed; without its position the user's next report may read the primary's lag window.
      request.log.warn({ err: error }, 'could not read the primary WAL position after a write');
    }
    return payload;
  });
  new Gauge({
    name: 'yardmaster_replica_lag_bytes',
    help: 'WAL bytes the reporting replica has yet to replay',
    registers: [registry],
    collect() {
      this.set(router.status()?.lagBytes ?? 0);
    },
  });
  new Gauge({
    name: 'yardmaster_replica_lag_seconds',
    help: 'Seconds the reporting replica is behind (0 when it has replayed everything)',
    registers: [registry],
    collect() {
      this.set(router.status()?.lagSeconds ?? 0);
    },
  });
  new Gauge({
    name: 'yardmaster_replica_up',
    help: '1 when the reporting replica answered the last poll',
    registers: [registry],
    collect() {
      this.set(router.status()?.reachable ? 1 : 0);
    },
  });
  new Counter({
    name: 'yardmaster_report_reads_total',
    help: 'Report and analytics reads by the database they were routed to',
    labelNames: ['target'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.labels('replica').inc(router.counts.replica);
      this.labels('primary').inc(router.counts.primary);
    },
  });
}
