import { sql, type Kysely } from 'kysely';
import type { ControlTables } from '../../platform/db/index.js';
import './limits.tables.js';

/** One token bucket: `perSecond` tokens flow in, up to `burst`; a request takes one. */
export type Bucket = { key: string; scope: 'user' | 'tenant'; perSecond: number; burst: number };

export type BucketVerdict = {
  allowed: boolean;
  /** Seconds until a request would be allowed again (0 when allowed). */
  retryAfterS: number;
  /** The bucket with the fewest tokens left (what the RateLimit-* headers describe). */
  tightest: { scope: 'user' | 'tenant'; burst: number; remaining: number; resetS: number };
  /** Answered from this instance's memory of a recent refusal, without a database round trip. */
  local: boolean;
};

type Row = { key: string; tokens: number; granted: number };

type Waiter = { resolve: (verdict: BucketVerdict) => void; reject: (error: unknown) => void };
type Lane = { buckets: readonly Bucket[]; waiting: Waiter[] };

/**
 * Token buckets in PostgreSQL, shared by every instance. `take` checks and debits all the buckets
 * of a request (the user's and the tenant's) in ONE atomic statement: the rows are locked in key
 * order, refilled for the time elapsed, and debited only if every bucket has a token (a refusal
 * by the tenant's bucket costs the user nothing). A refusal is remembered in memory until the
 * bucket will have refilled one token, so a flood is answered without touching the database; that
 * stays correct across instances because other instances can only take tokens, never add them.
 *
 * Concurrent requests of one caller on one instance share a statement: while a check of theirs is
 * in flight, the next ones queue and go together, asking for as many tokens as there are
 * requests; the statement grants what the buckets hold and each waiter learns whether it got one.
 * Exact (nothing is leased or held back), and a burst of one client's calls costs the database
 * one statement per round trip instead of a convoy of row locks.
 */
export function createRateBuckets(db: Kysely<ControlTables>, now: () => number = Date.now) {
  const refusedUntil = new Map<string, number>();

  function remember(key: string, until: number): void {
    if (refusedUntil.size >= 50_000) {
      const at = now();
      for (const [k, u] of refusedUntil) if (u <= at) refusedUntil.delete(k);
    }
    refusedUntil.set(key, until);
  }

  const lanes = new Map<string, Lane>();

  async function debit(buckets: readonly Bucket[], want: number): Promise<Row[]> {
    const params = sql.join(buckets.map((b) => sql`(${b.key}::text, ${b.perSecond}::float8, ${b.burst}::float8)`));
    const { rows } = await sql<Row>`
      with p (key, rate, burst) as (values ${params}),
      cur as (
        select b.key, least(p.burst, b.tokens + p.rate * greatest(0, extract(epoch from clock_timestamp() - b.at)::float8)) as avail
          from control.rate_buckets b join p on p.key = b.key
         order by b.key
           for update of b
      ),
      g as (select count(*) as n, greatest(0, least(${want}::float8, floor(min(avail)))) as granted from cur)
      update control.rate_buckets b
         set tokens = cur.avail - g.granted, at = clock_timestamp()
        from cur, g
       where b.key = cur.key and g.n = ${buckets.length}
      returning b.key, b.tokens, g.granted`.execute(db);
    return rows;
  }

  async function create(buckets: readonly Bucket[]): Promise<void> {
    const params = sql.join(buckets.map((b) => sql`(${b.key}::text, ${b.burst}::float8)`));
    await sql`
      insert into control.rate_buckets (key, tokens, at)
      select key, burst, clock_timestamp() from (values ${params}) as p (key, burst)
      on conflict (key) do nothing`.execute(db);
  }

  /** Runs one statement for `count` requests; returns whether each got a token (in order) and the state after. */
  async function check(buckets: readonly Bucket[], count: number): Promise<BucketVerdict[]> {
    const at = now();
    let rows = await debit(buckets, count);
    if (rows.length < buckets.length) {
      // First request of a user or tenant: its bucket starts full.
      await create(buckets);
      rows = await debit(buckets, count);
    }
    const granted = Number(rows[0]?.granted ?? 0);
    let retryAfterS = 0;
    let tightest: BucketVerdict['tightest'] | undefined;
    for (const bucket of buckets) {
      const tokens = rows.find((r) => r.key === bucket.key)?.tokens ?? 0;
      if (granted < count && tokens < 1) {
        const wait = (1 - tokens) / bucket.perSecond;
        retryAfterS = Math.max(retryAfterS, wait);
        remember(bucket.key, at + wait * 1000);
      }
      const remaining = Math.max(0, Math.floor(tokens));
      if (!tightest || remaining < tightest.remaining) {
        tightest = { scope: bucket.scope, burst: bucket.burst, remaining, resetS: Math.max(0, (bucket.burst - tokens) / bucket.perSecond) };
      }
    }
    const state = tightest as BucketVerdict['tightest'];
    return Array.from({ length: count }, (_, i) =>
      i < granted ? { allowed: true, retryAfterS: 0, tightest: state, local: false } : { allowed: false, retryAfterS: Math.max(retryAfterS, 0.001), tightest: state, local: false },
    );
  }

  async function drain(laneKey: string, lane: Lane): Promise<void> {
    while (lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0);
      try {
        const verdicts = await check(lane.buckets, batch.length);
        batch.forEach((waiter, i) => waiter.resolve(verdicts[i] as BucketVerdict));
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    lanes.delete(laneKey);
  }

  return {
    take(buckets: readonly Bucket[]): Promise<BucketVerdict> {
      const at = now();
      let waitMs = 0;
      for (const b of buckets) waitMs = Math.max(waitMs, (refusedUntil.get(b.key) ?? 0) - at);
      if (waitMs > 0) {
        const first = buckets[0] as Bucket;
        return Promise.resolve({ allowed: false, retryAfterS: waitMs / 1000, tightest: { scope: first.scope, burst: first.burst, remaining: 0, resetS: first.burst / first.perSecond }, local: true });
      }
      const laneKey = buckets.map((b) => b.key).join('\n');
      return new Promise<BucketVerdict>((resolve, reject) => {
        const existing = lanes.get(laneKey);
        if (existing) {
          existing.buckets = buckets;
          existing.waiting.push({ resolve, reject });
          return;
        }
        const lane: Lane = { buckets, waiting: [{ resolve, reject }] };
        lanes.set(laneKey, lane);
        void drain(laneKey, lane);
      });
    },
    /**
     * Drops buckets untouched for `idleMs` (default 1 h): a bucket idle longer than burst ÷ rate
     * is full again, the same as no row. Run by the module's housekeeping timer.
     */
    async sweep(idleMs = 3_600_000): Promise<void> {
      await sql`delete from control.rate_buckets where at < now() - make_interval(secs => ${idleMs / 1000})`.execute(db);
    },
    /** Forgets remembered refusals (a plan change). */
    forget(): void {
      refusedUntil.clear();
    },
  };
}

export type RateBuckets = ReturnType<typeof createRateBuckets>;
