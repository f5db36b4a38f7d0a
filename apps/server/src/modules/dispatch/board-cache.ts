import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../platform/caller.js';
import type { Database, TenantTx } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { matchesEntityTag } from '../../platform/http/versioning.js';
import { selectEventPosition } from '../notifications/index.js';
import { regionScopeKey } from '../regions/index.js';
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
 * - **Version without a round trip**: with a change watch (the live hub), a tenant's version read
 *   from the database is trusted for up to `trustMs` as long as no change signal for the tenant
 *   arrived since the read began: a commit on this instance signals before its response leaves, a
 *   commit on another instance when its NOTIFY arrives (a few ms later). So most reads — the 304s
 *   and snapshot hits — cost no database work at all. Never trusted while the watch is not
 *   watching (LISTEN down); settings changes (not events) are forgotten by the route on this
 *   instance and picked up by the others within `trustMs`, which also bounds a lost NOTIFY.
 */
export type BoardCacheOptions = { ttlMs?: number; maxEntries?: number; trustMs?: number };

/** What tells the cache that a tenant's board may have changed (the notifications module's live hub). */
export type ChangeWatch = {
  onChange: (listener: (slug: string | null) => void) => () => void;
  isWatching: () => boolean;
};

type Snapshot = { version: string; etag: string; body: string; at: number };

export type BoardCacheStats = {
  hits: number;
  misses: number;
  notModified: number;
  entries: number;
  /** Versions read from the database, and versions served from memory between change signals. */
  versionReads: number;
  versionTrusted: number;
};

export type BoardCache = {
  /** A Fastify handler serving the board that `read` computes, through the cache. */
  handler: (read: (tx: TenantTx, caller: Caller) => Promise<unknown>) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  stats: () => BoardCacheStats;
  clear: () => void;
  /** Starts trusting versions between change signals (call once the watch exists); returns the unsubscribe. */
  watch: (changes: ChangeWatch) => () => void;
  /** Forgets the tenant's trusted version (a change that publishes no event, e.g. dispatch settings). */
  forget: (slug: string) => void;
};

/** Who may see the same board: tenant, roles, and the subject when the caller is only a driver. */
export function boardScopeKey(caller: Caller): string {
  const roles = [...caller.roles].sort();
  const privileged = roles.some((role) => role === 'admin' || role === 'dispatcher' || role === 'viewer');
  return `${caller.tenantSlug}|${roles.join(',')}${privileged ? '' : `|${caller.subject}`}|${regionScopeKey(caller)}`;
}

/** What the version is made of, read from the database; the minute is added when it is used. */
type VersionBase = { text: string; ageing: boolean };

async function readVersionBase(tx: TenantTx): Promise<VersionBase> {
  const position = await selectEventPosition(tx);
  const settings = await readDispatchSettings(tx);
  return { text: `${position}|${JSON.stringify(settings)}`, ageing: settings.ageingPointsPerMinute > 0 };
}

const versionAt = (base: VersionBase, now: number): string => `${base.text}|${base.ageing ? Math.floor(now / 60_000) : 0}`;

const etagOf = (key: string, version: string): string =>
  `W/"b${createHash('sha256').update(`${key}\n${version}`).digest('base64url').slice(0, 22)}"`;

export function createBoardCache(database: Database, options: BoardCacheOptions = {}): BoardCache {
  const ttlMs = options.ttlMs ?? 2_000;
  const trustMs = options.trustMs ?? 1_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const snapshots = new Map<string, Snapshot>();
  const computing = new Map<string, Promise<Snapshot>>();
  const counts = { hits: 0, misses: 0, notModified: 0, versionReads: 0, versionTrusted: 0 };
  const inTenant = tenantRunner(database);
  let changes: ChangeWatch | null = null;
  /** Per tenant: the version last read and when the read began (trusted until a signal or `trustMs`). */
  const trusted = new Map<string, { base: VersionBase; at: number }>();
  /** Per tenant: bumped by every change signal, so a read that overlapped one is not trusted. */
  const generations = new Map<string, number>();
  let allGeneration = 0;
  const generationOf = (slug: string): string => `${allGeneration}.${generations.get(slug) ?? 0}`;

  function onSignal(slug: string | null): void {
    if (slug === null) {
      allGeneration += 1;
      trusted.clear();
      return;
    }
    generations.set(slug, (generations.get(slug) ?? 0) + 1);
    trusted.delete(slug);
  }

  async function versionOf(request: FastifyRequest, slug: string, now: number): Promise<string> {
    const known = trusted.get(slug);
    if (known && changes?.isWatching() && now - known.at <= trustMs) {
      counts.versionTrusted += 1;
      return versionAt(known.base, now);
    }
    counts.versionReads += 1;
    const generation = generationOf(slug);
    const base = await inTenant(request, readVersionBase);
    // Trusted only when nothing signalled while it was read (the read may predate that change).
    if (changes?.isWatching() && generationOf(slug) === generation) {
      if (trusted.size >= maxEntries) trusted.clear();
      trusted.set(slug, { base, at: now });
    }
    return versionAt(base, now);
  }

  function remember(key: string, snapshot: Snapshot): void {
    snapshots.delete(key);
    snapshots.set(key, snapshot);
    if (snapshots.size > maxEntries) {
      const oldest = snapshots.keys().next().value;
      if (oldest !== undefined) snapshots.delete(oldest);
    }
  }

  function compute(
    key: string,
    request: FastifyRequest,
    version: string,
    read: (tx: TenantTx, caller: Caller) => Promise<unknown>,
  ): Promise<Snapshot> {
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
      const version = await versionOf(request, caller.tenantSlug, now);
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
    clear: () => {
      snapshots.clear();
      trusted.clear();
    },
    watch: (watch) => {
      changes = watch;
      const unsubscribe = watch.onChange(onSignal);
      return () => {
        unsubscribe();
        if (changes === watch) changes = null;
        trusted.clear();
      };
    },
    forget: (slug) => onSignal(slug),
  };
}
