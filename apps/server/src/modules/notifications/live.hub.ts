import type { ServerResponse } from 'node:http';
import { sql } from 'kysely';
import { listTenants, withTenant, type Database } from '../../platform/db/index.js';
import { eventPayload, onLocalWake } from './publish.js';
import { createListener, type Listener } from './listener.js';
import type { NotificationsSettings } from './settings.js';
import './notifications.tables.js';

/** A connected SSE client. `driverId` set → only events naming that driver. */
export type LiveStream = {
  raw: ServerResponse;
  slug: string;
  driverId: string | null;
  lastSent: number;
  closed: boolean;
};

type Feed = {
  slug: string;
  /** Highest event id this instance has read for the tenant (null until the first stream joins). */
  cursor: number | null;
  streams: Set<LiveStream>;
  /** Serialises the feed's reads and stream joins. */
  chain: Promise<void>;
  wakePending: boolean;
};

type EventRow = {
  id: number;
  type: string;
  entity_type: string;
  entity_id: string;
  data: Record<string, unknown>;
  driver_ids: string[] | null;
  occurred_at: Date;
};

const PAGE = 500;

export type LiveHub = {
  /** Attaches an SSE response (headers already written); replays from `lastEventId` when given. */
  attach: (stream: LiveStream, lastEventId: number | null) => void;
  start: () => Promise<void>;
  /** Ends every stream (so the HTTP server can close). */
  endStreams: () => void;
  stop: () => Promise<void>;
  /** Runs the retention purge for every tenant now (also run by the safety-net timer). */
  purge: () => Promise<void>;
  connectionCount: () => number;
};

export const frame = (row: EventRow): string =>
  `id: ${row.id}\nevent: ${row.type}\ndata: ${JSON.stringify(eventPayload(row))}\n\n`;

const RESYNC_FRAME = `event: resync\ndata: {"reason":"too far behind; refetch the current state"}\n\n`;

export function createLiveHub(database: Database, settings: NotificationsSettings): LiveHub {
  /** Feeds stay for the process's life (one small object per tenant that ever had a stream). */
  const feeds = new Map<string, Feed>();
  const all = new Set<LiveStream>();
  let listener: Listener | null = null;
  let pollTimer: NodeJS.Timeout | null = null;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let lastPurge = 0;
  let stopped = false;
  let unsubscribeLocal: (() => void) | null = null;

  const readRows = (slug: string, after: number): Promise<EventRow[]> =>
    withTenant(database.db, slug, (tx) =>
      tx
        .selectFrom('live_events')
        .select(['id', 'type', 'entity_type', 'entity_id', 'data', 'driver_ids', 'occurred_at'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(PAGE)
        .execute(),
    );

  function close(stream: LiveStream, feed: Feed | undefined, resync: boolean): void {
    if (stream.closed) return;
    stream.closed = true;
    feed?.streams.delete(stream);
    all.delete(stream);
    const raw = stream.raw;
    if (raw.destroyed) return;
    try {
      if (resync) {
        raw.end(RESYNC_FRAME);
        // A client that does not read never lets the buffer drain: drop the socket shortly after.
        setTimeout(() => raw.destroy(), 1_000).unref();
      } else {
        raw.end();
      }
    } catch {
      raw.destroy();
    }
  }

  /** Writes to one stream; a client whose unread output exceeds the bound is cut off (told to resync). */
  function write(stream: LiveStream, feed: Feed | undefined, text: string): void {
    if (stream.closed || stream.raw.destroyed) return;
    const ok = stream.raw.write(text);
    if (!ok && stream.raw.writableLength > settings.maxBufferedBytes) close(stream, feed, true);
  }

  function deliver(feed: Feed, stream: LiveStream, row: EventRow): void {
    if (row.id <= stream.lastSent) return;
    stream.lastSent = row.id;
    if (stream.driverId !== null && !(row.driver_ids ?? []).includes(stream.driverId)) return;
    write(stream, feed, frame(row));
  }

  function enqueue(feed: Feed, task: () => Promise<void>): void {
    feed.chain = feed.chain.then(task).catch(() => undefined);
  }

  /** Reads the feed's new rows and pushes them to its streams. */
  async function readFeed(feed: Feed): Promise<void> {
    if (feed.cursor === null || feed.streams.size === 0) return;
    for (;;) {
      const rows = await readRows(feed.slug, feed.cursor);
      for (const row of rows) {
        for (const stream of feed.streams) deliver(feed, stream, row);
        feed.cursor = row.id;
      }
      if (rows.length < PAGE || feed.streams.size === 0) return;
    }
  }

  function wake(slug: string): void {
    const feed = feeds.get(slug);
    if (!feed || feed.wakePending) return;
    feed.wakePending = true;
    enqueue(feed, async () => {
      feed.wakePending = false;
      await readFeed(feed);
    });
  }

  async function join(feed: Feed, stream: LiveStream, lastEventId: number | null): Promise<void> {
    const state = await withTenant(database.db, stream.slug, (tx) =>
      tx.selectFrom('live_counter').select(['last_id', 'purged_through']).executeTakeFirstOrThrow(),
    );
    if (lastEventId === null) {
      stream.lastSent = state.last_id;
    } else if (lastEventId < state.purged_through || lastEventId > state.last_id) {
      write(stream, feed, RESYNC_FRAME);
      stream.lastSent = state.last_id;
    } else {
      stream.lastSent = lastEventId;
      for (;;) {
        if (stream.closed) return;
        const rows = await readRows(stream.slug, stream.lastSent);
        for (const row of rows) deliver(feed, stream, row);
        if (rows.length < PAGE) break;
      }
    }
    if (stream.closed) return;
    // A feed without streams has not been reading: start it where this stream is. Otherwise rows
    // between the feed's cursor and this stream's position reach the other streams on the next read.
    if (feed.cursor === null || feed.streams.size === 0) feed.cursor = stream.lastSent;
    feed.streams.add(stream);
    await readFeed(feed);
  }

  function attach(stream: LiveStream, lastEventId: number | null): void {
    let feed = feeds.get(stream.slug);
    if (!feed) {
      feed = { slug: stream.slug, cursor: null, streams: new Set(), chain: Promise.resolve(), wakePending: false };
      feeds.set(stream.slug, feed);
    }
    const joined = feed;
    all.add(stream);
    stream.raw.on('close', () => close(stream, joined, false));
    stream.raw.on('error', () => close(stream, joined, false));
    enqueue(joined, () => join(joined, stream, lastEventId));
  }

  async function purge(): Promise<void> {
    const tenants = await listTenants(database.db);
    for (const tenant of tenants) {
      if (stopped) return;
      try {
        await withTenant(database.db, tenant.slug, async (tx) => {
          const cutoff = new Date(Date.now() - settings.retentionMs);
          const removed = await tx
            .deleteFrom('live_events')
            .where('occurred_at', '<', cutoff)
            .returning('id')
            .execute();
          if (removed.length === 0) return;
          const highest = Math.max(...removed.map((r) => r.id));
          await tx
            .updateTable('live_counter')
            .set({ purged_through: sql<number>`greatest(purged_through, ${highest})` })
            .execute();
        });
      } catch {
        // A tenant mid-provisioning (or archived) is purged on a later run.
      }
    }
  }

  function poll(): void {
    if (stopped) return;
    for (const slug of feeds.keys()) wake(slug);
    if (Date.now() - lastPurge >= settings.purgeEveryMs) {
      lastPurge = Date.now();
      void purge();
    }
  }

  function heartbeat(): void {
    for (const feed of feeds.values()) for (const stream of feed.streams) write(stream, feed, `: heartbeat\n\n`);
  }

  return {
    attach,
    purge,
    connectionCount: () => all.size,
    async start() {
      stopped = false;
      lastPurge = Date.now();
      unsubscribeLocal = onLocalWake((kind, schema) => {
        if (kind === 'events') wake(schema.replace(/^t_/, ''));
      });
      if (database.kind === 'postgres') {
        listener = createListener(database.url, ['ym_events'], (_channel, schema) => wake(schema.replace(/^t_/, '')), () => {
          // After a reconnect, notifications may have been missed: read every feed.
          for (const slug of feeds.keys()) wake(slug);
        });
      }
      pollTimer = setInterval(poll, settings.pollMs);
      pollTimer.unref();
      heartbeatTimer = setInterval(heartbeat, settings.heartbeatMs);
      heartbeatTimer.unref();
    },
    endStreams() {
      for (const stream of [...all]) close(stream, feeds.get(stream.slug), false);
    },
    async stop() {
      stopped = true;
      unsubscribeLocal?.();
      if (pollTimer) clearInterval(pollTimer);
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      this.endStreams();
      await listener?.close();
      listener = null;
    },
  };
}
