import { sql } from 'kysely';
import { schedule, type SchedulerLog } from '../scheduler.js';
import type { Database } from './database.js';

/**
 * Where reports and analytics read: the streaming replica (REPORTING_DATABASE_URL) unless it is
 * unreachable, further behind than `maxLagMs`, or behind the commit of the reader's own last write
 * (read-your-writes) — then the primary.
 *
 * After every successful write request the server notes the primary's WAL position for that reader
 * (tenant + subject); a read by the same reader goes to the replica only once the replica has
 * replayed past it. The positions live in this process: behind a proxy without sticky sessions,
 * a reader whose next request lands on another instance is covered by `maxLagMs` only.
 */
export type ReplicaStatus = {
  reachable: boolean;
  /** WAL bytes the replica has yet to replay (primary's current LSN − replica's replay LSN). */
  lagBytes: number;
  /** Seconds since the last transaction the replica replayed, 0 when it has replayed everything. */
  lagSeconds: number;
  replayLsn: bigint;
};

export type ReadRouter = {
  /** The database a read by `reader` should use now. */
  readerFor: (reader: string) => Promise<Database>;
  /** Records the primary's WAL position after a write by `reader` committed. */
  noteWrite: (reader: string) => Promise<void>;
  /** The replica's last polled status, or undefined when there is no replica. */
  status: () => ReplicaStatus | undefined;
  /** Reads routed so far, by target. */
  counts: { replica: number; primary: number };
  close: () => void;
};

/** `16/B374D848` → a number that orders like the WAL position. */
export function parseLsn(text: string | null | undefined): bigint {
  if (!text) return 0n;
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi ?? '0'}`) << 32n) + BigInt(`0x${lo ?? '0'}`);
}

const MAX_READERS = 10_000;

/**
 * `reporting` is the reports' own database: a streaming replica when `isReplica` (the default), or
 * a separate pool on the primary itself (REPORTING_POOL_SIZE without REPORTING_DATABASE_URL) — then
 * every read goes there and there is no lag to track.
 */
export function createReadRouter(
  primary: Database,
  reporting: Database | undefined,
  options: { maxLagMs: number; pollMs?: number; isReplica?: boolean; log: SchedulerLog },
): ReadRouter {
  const counts = { replica: 0, primary: 0 };
  if (!reporting || options.isReplica === false) {
    const target = reporting ?? primary;
    return {
      readerFor: () => {
        counts.primary++;
        return Promise.resolve(target);
      },
      noteWrite: () => Promise.resolve(),
      status: () => undefined,
      counts,
      close: () => undefined,
    };
  }
  const replicaDb = reporting;
  const lastWrite = new Map<string, bigint>();
  let current: ReplicaStatus = { reachable: false, lagBytes: 0, lagSeconds: 0, replayLsn: 0n };

  const poll = async (): Promise<ReplicaStatus> => {
    try {
      const [head, replay] = await Promise.all([
        sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(primary.db),
        sql<{ lsn: string | null; age: number | null }>`
          select (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text as lsn,
                 extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as age`.execute(replicaDb.db),
      ]);
      const headLsn = parseLsn(head.rows[0]?.lsn);
      const replayLsn = parseLsn(replay.rows[0]?.lsn);
      const lagBytes = Number(headLsn > replayLsn ? headLsn - replayLsn : 0n);
      current = { reachable: true, lagBytes, lagSeconds: lagBytes === 0 ? 0 : Math.max(0, replay.rows[0]?.age ?? 0), replayLsn };
      for (const [reader, lsn] of lastWrite) if (lsn <= replayLsn) lastWrite.delete(reader);
    } catch (error) {
      // Reads go to the primary while the replica cannot be reached; said once per outage.
      if (!warnedUnreachable)
        options.log.warn({ err: error }, 'reporting replica unreachable: reports read from the primary until it answers');
      warnedUnreachable = true;
      current = { ...current, reachable: false };
      return current;
    }
    if (warnedUnreachable) options.log.warn({}, 'reporting replica reachable again');
    warnedUnreachable = false;
    return current;
  };
  let warnedUnreachable = false;
  const stopPolling = schedule('replica poll', options.pollMs ?? 1_000, options.log, async () => void (await poll()), { runNow: false });
  const firstPoll = poll();

  const usePrimary = (): Database => {
    counts.primary++;
    return primary;
  };

  return {
    async readerFor(reader) {
      await firstPoll;
      let status = current;
      if (!status.reachable || status.lagSeconds * 1000 > options.maxLagMs) return usePrimary();
      const mine = lastWrite.get(reader);
      if (mine !== undefined && mine > status.replayLsn) {
        status = await poll();
        if (!status.reachable || mine > status.replayLsn) return usePrimary();
      }
      counts.replica++;
      return replicaDb;
    },
    async noteWrite(reader) {
      // The insert position is at or past the end of every commit record already written.
      const { rows } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(primary.db);
      lastWrite.delete(reader);
      lastWrite.set(reader, parseLsn(rows[0]?.lsn));
      if (lastWrite.size > MAX_READERS) {
        const oldest = lastWrite.keys().next().value;
        if (oldest !== undefined) lastWrite.delete(oldest);
      }
    },
    status: () => current,
    counts,
    close: stopPolling,
  };
}
