import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../platform/caller.js';
import type { Database, TenantTx } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { matchesEntityTag } from '../../platform/http/versioning.js';
import { selectEventPosition } from '../notifications/index.js';
import { readDispatchSettings } from './settings.js';

/**
 * A per-tenant snapshot of the board, serialised once and shared by everyone who may see the same
 * board, invalidated by the event stream.
 *
 * - **Version**: the tenant's latest live-event id (every change a board shows publishes an event
 *   in its own transaction, so the id moves on commit, on every instance) plus the dispatch settings
 *   (automatic processing, ageing — not announced as events), plus the minute while ageing is on (the
 *   queue order then changes with time alone). Reading it costs two one-row reads; the board itself
 *   (joins, window function, thousands of rows, JSON) is computed once per tenant, caller scope and
 *   version.
 * - **ETag**: weak, derived from the scope and version. `If-None-Match` with the current tag is a
 *   `304` without computing anything. Weak because `waitingSeconds` is derived from `queuedAt` and
 *   the moment of reading: two reads of one version are the same board, not the same bytes.
 * - **Freshness**: a snapshot is served for at most `ttlMs` (so derived ages stay within it), then
 *   recomputed even when the version has not moved.
 * - **Scope**: the key is the tenant and the caller's roles (sorted), plus the subject for a caller
 *   who is only a driver; so a board whose content depends on who asks never crosses callers with
 *   different rights. Agnostic of the board's shape: it caches whatever the reader returns.
 * - **Stampede**: concurrent misses for one key and version share one computation, run in its own
 *   transaction (waiters hold no connection).
 */
export type BoardCacheOptions = { ttlMs?: number; maxEntries?: number };

type Snapshot = { version: string; etag: string; body: string; at: number };

export type BoardCacheStats = { hits: number; misses: number; notModified: number; entries: number };

export type BoardCache = {
  /** A Fastify handler serving the board that `read` computes, through the cache. */
  handler: (read: (tx: TenantTx, caller: Caller) => Promise<unknown>) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  stats: () => BoardCacheStats;
  clear: () => void;
};

/** Who may see the same board: tenant, roles, and the subject when the caller is only a driver. */
export function boardScopeKey(caller: Caller): string {
  const roles = [...caller.roles].sort();
  const privileged = roles.some((role) => role === 'admin' || role === 'dispatcher' || role === 'viewer');
  return `${caller.tenantSlug}|${roles.join(',')}${privileged ? '' : `|${caller.subject}`}`;
}

async function boardVersion(tx: TenantTx, now: number): Promise<string> {
  const position = await selectEventPosition(tx);
  const settings = await readDispatchSettings(tx);
  const minute = settings.ageingPointsPerMinute > 0 ? Math.floor(now / 60_000) : 0;
  return `${position}|${JSON.stringify(settings)}|${minute}`;
}

const etagOf = (key: string, version: string): string => `W/"b${createHash('sha256').update(`${key}\n${version}`).digest('base64url').slice(0, 22)}"`;

export function createBoardCache(database: Database, options: BoardCacheOptions = {}): BoardCache {
  const ttlMs = options.ttlMs ?? 2_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const snapshots = new Map<string, Snapshot>();
  const computing = new Map<string, Promise<Snapshot>>();
  const counts = { hits: 0, misses: 0, notModified: 0 };
  const inTenant = tenantRunner(database);

  function remember(key: string, snapshot: Snapshot): void {
    snapshots.delete(key);
    snapshots.set(key, snapshot);
    if (snapshots.size > maxEntries) {
      const oldest = snapshots.keys().next().value;
      if (oldest !== undefined) snapshots.delete(oldest);
    }
  }

  function compute(key: string, request: FastifyRequest, version: string, read: (tx: TenantTx, caller: Caller) => Promise<unknown>): Promise<Snapshot> {
    const flight = `${key}\n${version}`;
    let pending = computing.get(flight);
    if (!pending) {
      counts.misses += 1;
      pending = inTenant(request, async (tx, caller) => {
        const board = await read(tx, caller);
        return { version, etag: etagOf(key, version), body: JSON.stringify(board), at: Date.now() };
      })
        .then((snapshot) => {
          const current = snapshots.get(key);
          // A slower computation of an older version never replaces a newer snapshot.
          if (!current || current.at <= snapshot.at) remember(key, snapshot);
          return snapshot;
        })
        .finally(() => computing.delete(flight));
      computing.set(flight, pending);
    } else {
      counts.hits += 1;
    }
    return pending;
  }

  return {
    handler: (read) => async (request, reply) => {
      const caller = callerOf(request);
      const key = boardScopeKey(caller);
      const now = Date.now();
      const version = await inTenant(request, (tx) => boardVersion(tx, now));
      const etag = etagOf(key, version);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (matchesEntityTag(request.headers['if-none-match'], etag)) {
        counts.notModified += 1;
        await reply.code(304).send();
        return;
      }
      let snapshot = snapshots.get(key);
      if (snapshot && snapshot.version === version && now - snapshot.at <= ttlMs) counts.hits += 1;
      else snapshot = await compute(key, request, version, read);
      await reply
        .type('application/json; charset=utf-8')
        .serializer((payload: unknown) => payload as string)
        .send(snapshot.body);
    },
    stats: () => ({ ...counts, entries: snapshots.size }),
    clear: () => snapshots.clear(),
  };
}
