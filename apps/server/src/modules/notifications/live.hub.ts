import type { ServerResponse } from 'node:http';
import { sql } from 'kysely';
import { withTenant, type Database } from '../../platform/db/index.js';
import { forEachTenant, schedule, type SchedulerLog } from '../../platform/scheduler.js';
import { EVENTS_CHANNEL, eventPayload, onLocalWake } from './publish.js';
import { createListener, type Listener } from './listener.js';
import type { NotificationsSettings } from './settings.js';
import './notifications.tables.js';

/**
 * A connected SSE client. `driversOnly` → only events whose driverIds name `driverId` (none if null).
 * `regions` → only events about those regions or shared ones (modules/regions: a region-limited
 * dispatcher or viewer); null or absent: every event.
 */
export type LiveStream = {
  raw: ServerResponse;
  slug: string;
  driversOnly: boolean;
  driverId: string | null;
  regions?: readonly string[] | null;
  lastSent: number;
  closed: boolean;
  /** Set while the client's unread output is over the bound: nothing more is written until it drains. */
  stalledSince?: number | null;
};

type Feed = {
  slug: string;
  /** Highest event id this instance has read for the tenant (null until the first stream joins). */
  cursor: number | null;
  streams: Set<LiveStream>;
  /** Serialises the feed's reads and stream joins. */
  chain: Promise<void>;
  wakePending: boolean;
  /** A wake-up before this time waits for it (the feed's own fan-out duty cycle, see `fanOut`). */
  resumeAt: number;
  /** The latest rows read (contiguous ids, oldest first): streams catch up from memory when they can. */
  recent: EventRow[];
};

type EventRow = {
  id: number;
  type: string;
  entity_type: string;
  entity_id: string;
  data: Record<string, unknown>;
  driver_ids: string[] | null;
  /** The regions the event is about, tagged once at publish (null: every reader). */
  regions: string[] | null;
  occurred_at: Date;
};

/** Does `stream` receive `row`? Drivers: events naming them; region-limited streams: their regions' and shared events. */
function receives(stream: LiveStream, row: EventRow): boolean {
  if (stream.driversOnly) return stream.driverId !== null && (row.driver_ids ?? []).includes(stream.driverId);
  const scope = stream.regions;
  if (!scope || row.regions === null) return true;
  for (const region of row.regions) if (scope.includes(region)) return true;
  return false;
}

/** Streams with the same key receive the same events: '' for every event, else the sorted region codes. */
function audienceOf(stream: LiveStream): string {
  return stream.driversOnly || !stream.regions ? '' : [...stream.regions].sort().join(',');
}

const PAGE = 500;
const CATCH_UP_PAGE = 100;
const RECENT = 1_000;
/**
 * A big feed's fan-out leaves the process room between rounds: after a fan-out that took t ms, the
 * next read of that feed waits t ms more (at most this, so at most 50 ms of added latency), and
 * events arriving meanwhile go out together — one socket write per stream for all of them.
 * Profiled (bench:live, 10,000 streams): the write system call per stream is ~90% of the fan-out's
 * CPU, so writes per event, not bytes, are what costs (11.97 → 4.73 µs of CPU per delivery with
 * 2–3 events per write). With 100 streams a fan-out takes < 1 ms and nothing waits.
 */
const MAX_COALESCE_MS = 50;
/** Fan-outs shorter than this do not delay the next read. */
const COALESCE_FROM_MS = 5;
/** Granularity of the poll/heartbeat/stall timers. */
export const TICK_MS = 50;

export type LiveHub = {
  /** Attaches an SSE response (headers already written); replays from `lastEventId` when given. */
  attach: (stream: LiveStream, lastEventId: number | null) => void;
  start: () => Promise<void>;
  /** Ends every stream (so the HTTP server can close). */
  endStreams: () => void;
  stop: () => Promise<void>;
  /** Runs the retention purge now for the given tenants, or all (also run by the safety-net timer). */
  purge: (slugs?: readonly string[]) => Promise<void>;
  connectionCount: () => number;
  /** Fan-out and back-pressure counters since start (benchmarks and tests read them). */
  stats: () => LiveHubStats;
  /**
   * Change signals for caches invalidated by the event stream (the board snapshot): `listener(slug)`
   * runs when a tenant's events may have moved — a commit on this instance (before its response
   * leaves) or a NOTIFY from any instance; `listener(null)` when every tenant may have (a LISTEN
   * reconnect: notifications were lost meanwhile). Returns the unsubscribe function.
   */
  onChange: (listener: (slug: string | null) => void) => () => void;
  /**
   * True only while this instance hears of every tenant's changes: LISTEN is established
   * (PostgreSQL), or the hub is started on the embedded engine (one process). A cache must not
   * trust a version without a signal while this is false.
   */
  isWatching: () => boolean;
};

export type LiveHubStats = {
  /** Socket writes and the bytes they carried (one write per stream per batch of events). */
  writes: number;
  bytes: number;
  /** Batches read from the database and fanned out; the events in them. */
  batches: number;
  events: number;
  /** Times a stream's unread output crossed the bound (it pauses), and streams cut off for stalling. */
  stalls: number;
  cutOff: number;
  /** Streams paused right now, and the largest unread output seen on one stream (bytes). */
  stalledNow: number;
  maxBuffered: number;
};

const frames = new WeakMap<EventRow, string>();
const encoded = new WeakMap<EventRow, Buffer>();

/** The SSE message of a row, rendered once however many streams receive it. */
export function frame(row: EventRow): string {
  let text = frames.get(row);
  if (text === undefined) {
    text = `id: ${row.id}\nevent: ${row.type}\ndata: ${JSON.stringify(eventPayload(row))}\n\n`;
    frames.set(row, text);
  }
  return text;
}

/** The frame of a row as bytes, encoded once per process however many streams receive it. */
function frameBytes(row: EventRow): Buffer {
  let bytes = encoded.get(row);
  if (bytes === undefined) {
    bytes = Buffer.from(frame(row), 'utf8');
    encoded.set(row, bytes);
  }
  return bytes;
}

const chunks = new WeakMap<Buffer, Buffer>();

/** A buffer framed as one HTTP/1.1 chunk (size line, bytes, CRLF), framed once however many sockets get it. */
function chunkOf(bytes: Buffer): Buffer {
  let framed = chunks.get(bytes);
  if (framed === undefined) {
    framed = Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1'), bytes, Buffer.from('\r\n', 'latin1')]);
    chunks.set(bytes, framed);
  }
  return framed;
}

/** Written once a stream is caught up and live: every event committed from then on reaches it. */
const LIVE_COMMENT = ': live\n\n';

const RESYNC_FRAME = `event: resync\ndata: {"reason":"too far behind; refetch the current state"}\n\n`;

export function createLiveHub(database: Database, settings: NotificationsSettings, log: SchedulerLog): LiveHub {
  /** Feeds stay for the process's life (one small object per tenant that ever had a stream). */
  const feeds = new Map<string, Feed>();
  const all = new Set<LiveStream>();
  let listener: Listener | null = null;
  let stopTimers: Array<() => void> = [];
  let lastPurge = 0;
  let stopped = false;
  let unsubscribeLocal: (() => void) | null = null;
  let started = false;
  const changeListeners = new Set<(slug: string | null) => void>();
  const signal = (slug: string | null): void => {
    for (const listener of changeListeners) listener(slug);
  };
  const counters = { writes: 0, bytes: 0, batches: 0, events: 0, stalls: 0, cutOff: 0, maxBuffered: 0 };

  const readRows = (slug: string, after: number, limit = PAGE): Promise<EventRow[]> =>
    withTenant(database.db, slug, (tx) =>
      tx
        .selectFrom('live_events')
        .select(['id', 'type', 'entity_type', 'entity_id', 'data', 'driver_ids', 'regions', 'occurred_at'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(limit)
        .execute(),
    );

  function close(stream: LiveStream, feed: Feed | undefined, resync: boolean): void {
    if (stream.closed) return;
    stream.closed = true;
    feed?.streams.delete(stream);
    all.delete(stream);
    const raw = stream.raw;
    if (raw.destroyed) return;
    if (resync) counters.cutOff += 1;
    try {
      if (resync) {
        raw.end(RESYNC_FRAME);
        // A client that does not read never lets the buffer drain: drop the socket shortly after.
        setTimeout(() => raw.destroy(), 1_000).unref();
      } else {
        raw.end();
      }
    } catch {
      raw.destroy(); // the socket failed under us: destroying it is all that is left to do, nothing is lost (the client resumes with Last-Event-ID)
    }
  }

  /**
   * Back-pressure: a stream whose unread output exceeds the bound stops receiving (its position
   * stays put; the stored events are its buffer) until the socket drains, then catches up from the
   * database. A client stalled longer than `maxStallMs` is cut off and told to resync.
   */
  function write(stream: LiveStream, feed: Feed, text: string | Buffer): void {
    if (stream.closed || stream.raw.destroyed) return;
    const raw = stream.raw;
    const socket = raw.socket;
    // Event batches go straight to the socket as pre-framed chunks (the bytes and their chunk
    // framing are shared by every stream of the tenant); the response object's per-write work
    // (chunk header, cork, three writes) is skipped. Only once its headers are out and chunked, and
    // in order with its own writes (both write to the socket synchronously).
    const direct =
      Buffer.isBuffer(text) &&
      socket !== null &&
      !socket.destroyed &&
      raw.headersSent &&
      raw.chunkedEncoding &&
      raw.writableLength === socket.writableLength;
    const ok = direct ? socket.write(chunkOf(text)) : raw.write(text);
    counters.writes += 1;
    counters.bytes += text.length;
    if (ok) return;
    const buffered = raw.writableLength;
    if (buffered > counters.maxBuffered) counters.maxBuffered = buffered;
    if (buffered >= settings.maxBufferedBytes && !stream.stalledSince) {
      counters.stalls += 1;
      stream.stalledSince = Date.now();
      (direct ? socket : raw).once('drain', () => {
        stream.stalledSince = null;
        // A catch-up that cannot read ends the stream; the client resumes from its Last-Event-ID.
        enqueue(feed, () => catchUp(feed, stream).catch(() => close(stream, feed, false)));
      });
    }
  }

  function deliver(feed: Feed, stream: LiveStream, row: EventRow): void {
    if (stream.closed || stream.stalledSince || row.id <= stream.lastSent) return;
    stream.lastSent = row.id;
    if (!receives(stream, row)) return;
    write(stream, feed, frame(row));
  }

  /** Sends a stream everything after its position (a replay, or after a stall): from memory, else storage. */
  async function catchUp(feed: Feed, stream: LiveStream): Promise<void> {
    for (;;) {
      if (stream.closed || stream.stalledSince) return;
      const oldest = feed.recent[0];
      if (oldest && stream.lastSent >= oldest.id - 1) {
        for (const row of feed.recent) {
          if (stream.closed || stream.stalledSince) return;
          deliver(feed, stream, row);
        }
        return; // newer rows reach it through the feed's next read
      }
      const rows = await readRows(stream.slug, stream.lastSent, CATCH_UP_PAGE);
      for (const row of rows) {
        if (stream.closed || stream.stalledSince) return;
        deliver(feed, stream, row);
      }
      if (rows.length < CATCH_UP_PAGE) return;
    }
  }

  function enqueue(feed: Feed, task: () => Promise<void>): void {
    // Tasks that serve one stream close it themselves on failure; what reaches here is a failed
    // read of the feed, which the next poll reads again.
    feed.chain = feed.chain
      .then(task)
      .catch((error: unknown) => log.warn({ err: error, tenant: feed.slug }, 'live feed read failed (read again at the next poll)'));
  }

  /**
   * Pushes a batch of rows (contiguous ids after `from`) to the feed's streams: one socket write per
   * stream per batch. Streams that see every event share one buffer, encoded once per process;
   * region-limited streams share one buffer per set of regions (filtered once per batch by the
   * rows' region tags, from the same encoded frames); a driver's stream gets the concatenation of
   * the frames that name them (often nothing).
   */
  function fanOut(feed: Feed, from: number, rows: EventRow[]): void {
    const last = rows[rows.length - 1];
    if (!last) return;
    counters.batches += 1;
    counters.events += rows.length;
    const started = performance.now();
    let shared: Buffer | null = null;
    /** Per set of regions: the batch filtered for it (null: nothing for it), built once per batch. */
    const byAudience = new Map<string, Buffer | null>();
    for (const stream of feed.streams) {
      // A stream behind the feed (it stalled) must not skip ahead: it catches up on its own.
      if (stream.closed || stream.stalledSince || stream.lastSent < from || stream.lastSent >= last.id) continue;
      if (!stream.driversOnly && stream.lastSent === from) {
        const audience = audienceOf(stream);
        let bytes: Buffer | null;
        if (audience === '') {
          shared ??= rows.length === 1 ? frameBytes(last) : Buffer.concat(rows.map(frameBytes));
          bytes = shared;
        } else if (byAudience.has(audience)) {
          bytes = byAudience.get(audience) ?? null;
        } else {
          const visible = rows.filter((row) => receives(stream, row)).map(frameBytes);
          bytes = visible.length === 0 ? null : visible.length === 1 ? (visible[0] as Buffer) : Buffer.concat(visible);
          byAudience.set(audience, bytes);
        }
        stream.lastSent = last.id;
        if (bytes) write(stream, feed, bytes);
        continue;
      }
      const mine: Buffer[] = [];
      for (const row of rows) {
        if (row.id <= stream.lastSent) continue;
        if (!receives(stream, row)) continue;
        mine.push(frameBytes(row));
      }
      stream.lastSent = last.id;
      if (mine.length > 0) write(stream, feed, mine.length === 1 ? (mine[0] as Buffer) : Buffer.concat(mine));
    }
    const took = performance.now() - started;
    if (took >= COALESCE_FROM_MS) feed.resumeAt = Date.now() + Math.min(MAX_COALESCE_MS, took);
  }

  /** Reads the feed's new rows and pushes them to its streams. */
  async function readFeed(feed: Feed): Promise<void> {
    if (feed.cursor === null || feed.streams.size === 0) return;
    for (;;) {
      const rows = await readRows(feed.slug, feed.cursor);
      fanOut(feed, feed.cursor, rows);
      const last = rows[rows.length - 1];
      if (last) feed.cursor = last.id;
      feed.recent.push(...rows);
      if (feed.recent.length > RECENT) feed.recent.splice(0, feed.recent.length - RECENT);
      if (rows.length < PAGE || feed.streams.size === 0) return;
    }
  }

  function wake(slug: string): void {
    const feed = feeds.get(slug);
    if (!feed || feed.wakePending) return;
    feed.wakePending = true;
    const read = (): void =>
      enqueue(feed, async () => {
        feed.wakePending = false;
        await readFeed(feed);
      });
    const wait = feed.resumeAt - Date.now();
    if (wait > 0) setTimeout(read, wait).unref();
    else read();
  }

  async function join(feed: Feed, stream: LiveStream, lastEventId: number | null): Promise<void> {
    if (lastEventId === null && feed.cursor !== null && feed.streams.size > 0) {
      // The feed is live: start where it is (no query; what commits next reaches this stream too).
      stream.lastSent = feed.cursor;
      feed.streams.add(stream);
      write(stream, feed, LIVE_COMMENT);
      return;
    }
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
      await catchUp(feed, stream);
    }
    if (stream.closed) return;
    // A feed without streams has not been reading: start it where this stream is. Otherwise rows
    // between the feed's cursor and this stream's position reach the other streams on the next read.
    if (feed.cursor === null || feed.streams.size === 0) {
      feed.cursor = stream.lastSent;
      feed.recent = [];
    }
    feed.streams.add(stream);
    write(stream, feed, LIVE_COMMENT);
    await readFeed(feed);
  }

  function attach(stream: LiveStream, lastEventId: number | null): void {
    let feed = feeds.get(stream.slug);
    if (!feed) {
      feed = { slug: stream.slug, cursor: null, streams: new Set(), chain: Promise.resolve(), wakePending: false, resumeAt: 0, recent: [] };
      feeds.set(stream.slug, feed);
    }
    const joined = feed;
    all.add(stream);
    stream.raw.on('close', () => close(stream, joined, false));
    stream.raw.on('error', () => close(stream, joined, false));
    // A join that cannot read (the database went away meanwhile) ends the stream: the client
    // reconnects with its Last-Event-ID and resumes, instead of holding a stream that never joined.
    enqueue(joined, () => join(joined, stream, lastEventId).catch(() => close(stream, joined, false)));
  }

  async function purgeTenant(slug: string): Promise<void> {
    if (stopped) return;
    await withTenant(database.db, slug, async (tx) => {
      const cutoff = new Date(Date.now() - settings.retentionMs);
      const { rows } = await sql<{ highest: number | null }>`
        with removed as (delete from live_events where occurred_at < ${cutoff} returning id)
        select max(id) as highest from removed`.execute(tx);
      const highest = rows[0]?.highest ?? null;
      // The webhook delivery log is kept longer (admins read and replay it); pending rows stay.
      await tx
        .deleteFrom('webhook_deliveries')
        .where('status', '<>', 'pending')
        .where('created_at', '<', new Date(Date.now() - settings.webhookLogRetentionMs))
        .execute();
      if (highest === null) return;
      await tx
        .updateTable('live_counter')
        .set({ purged_through: sql<number>`greatest(purged_through, ${highest})` })
        .execute();
    });
  }

  /** Removes expired events and old delivery logs; a tenant that fails is logged and purged on a later run. */
  async function purge(only?: readonly string[]): Promise<void> {
    if (only === undefined) return forEachTenant(database.db, 'live event purge', log, purgeTenant);
    for (const slug of only) await purgeTenant(slug);
  }

  function poll(): void {
    if (stopped) return;
    const now = Date.now();
    for (const stream of [...all]) {
      if (stream.stalledSince && now - stream.stalledSince > settings.maxStallMs) close(stream, feeds.get(stream.slug), true);
    }
    for (const slug of feeds.keys()) wake(slug);
  }

  function heartbeat(): void {
    for (const feed of feeds.values()) {
      for (const stream of feed.streams) if (!stream.stalledSince) write(stream, feed, `: heartbeat\n\n`);
    }
  }

  return {
    attach,
    purge,
    connectionCount: () => all.size,
    stats: () => ({ ...counters, stalledNow: [...all].filter((s) => s.stalledSince).length }),
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    isWatching: () => started && !stopped && (database.kind !== 'postgres' || (listener?.isListening() ?? false)),
    async start() {
      stopped = false;
      lastPurge = Date.now();
      if (database.kind === 'postgres') {
        // NOTIFY reaches every instance (this one included); no in-process shortcut for the feeds,
        // so the cross-instance path is the one always exercised.
        listener = createListener(
          database.url,
          [EVENTS_CHANNEL],
          (_channel, schema) => {
            const slug = schema.replace(/^t_/, '');
            signal(slug);
            wake(slug);
          },
          () => {
            // After a reconnect, notifications may have been missed: read every feed.
            signal(null);
            for (const slug of feeds.keys()) wake(slug);
          },
          log,
        );
      }
      // Local commits signal caches at once (read-your-writes on this instance); on the embedded
      // engine (one process's database: LISTEN/NOTIFY is not isolated per client there) they also
      // wake the feeds.
      unsubscribeLocal = onLocalWake((kind, schema) => {
        if (kind !== 'events') return;
        const slug = schema.replace(/^t_/, '');
        signal(slug);
        if (database.kind !== 'postgres') wake(slug);
      });
      started = true;
      // Short ticks re-read the settings each round (tests shorten them on a running app).
      let lastPoll = Date.now();
      let lastHeartbeat = Date.now();
      stopTimers = [
        schedule(
          'live poll',
          TICK_MS,
          log,
          () => {
            const now = Date.now();
            if (now - lastPoll >= settings.pollMs) {
              lastPoll = now;
              poll();
            }
            if (now - lastHeartbeat >= settings.heartbeatMs) {
              lastHeartbeat = now;
              heartbeat();
            }
          },
          { runNow: false },
        ),
        schedule(
          'live event purge',
          TICK_MS,
          log,
          async () => {
            if (Date.now() - lastPurge < settings.purgeEveryMs) return;
            lastPurge = Date.now();
            await purge();
          },
          { runNow: false },
        ),
      ];
    },
    endStreams() {
      for (const stream of [...all]) close(stream, feeds.get(stream.slug), false);
    },
    async stop() {
      stopped = true;
      started = false;
      unsubscribeLocal?.();
      unsubscribeLocal = null;
      for (const stop of stopTimers) stop();
      stopTimers = [];
      this.endStreams();
      await listener?.close();
      listener = null;
    },
  };
}
