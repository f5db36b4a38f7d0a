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

type Row = { key: string; tokens: number; ok: boolean };

/**
 * Token buckets in PostgreSQL, shared by every instance. `take` checks and debits all the buckets
 * of a request (the user's and the tenant's) in ONE atomic statement: the rows are locked in key
 * order, refilled for the time elapsed, and debited only if every bucket has a token (a refusal
 * by the tenant's bucket costs the user nothing). A refusal is remembered in memory until the
 * bucket will have refilled one token, so a flood is answered without touching the database; that
 * stays correct across instances because other instances can only take tokens, never add them.
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

  async function debit(buckets: readonly Bucket[]): Promise<Row[]> {
    const params = sql.join(buckets.map((b) => sql`(${b.key}::text, ${b.perSecond}::float8, ${b.burst}::float8)`));
    const { rows } = await sql<Row>`
      with p (key, rate, burst) as (values ${params}),
      cur as (
        select b.key, least(p.burst, b.tokens + p.rate * greatest(0, extract(epoch from clock_timestamp() - b.at)::float8)) as avail
          from control.rate_buckets b join p on p.key = b.key
         order by b.key
           for update of b
      ),
      g as (select count(*) as n, coalesce(bool_and(avail >= 1), false) as ok from cur)
      update control.rate_buckets b
         set tokens = cur.avail - case when g.ok then 1 else 0 end, at = clock_timestamp()
        from cur, g
       where b.key = cur.key and g.n = ${buckets.length}
      returning b.key, b.tokens, g.ok`.execute(db);
    return rows;
  }

  async function create(buckets: readonly Bucket[]): Promise<void> {
    const params = sql.join(buckets.map((b) => sql`(${b.key}::text, ${b.burst}::float8)`));
    await sql`
      insert into control.rate_buckets (key, tokens, at)
      select key, burst, clock_timestamp() from (values ${params}) as p (key, burst)
      on conflict (key) do nothing`.execute(db);
  }

  return {
    async take(buckets: readonly Bucket[]): Promise<BucketVerdict> {
      const at = now();
      let waitMs = 0;
      for (const b of buckets) waitMs = Math.max(waitMs, (refusedUntil.get(b.key) ?? 0) - at);
      if (waitMs > 0) {
        const first = buckets[0] as Bucket;
        return { allowed: false, retryAfterS: waitMs / 1000, tightest: { scope: first.scope, burst: first.burst, remaining: 0, resetS: first.burst / first.perSecond }, local: true };
      }
      let rows = await debit(buckets);
      if (rows.length < buckets.length) {
        // First request of a user or tenant: its bucket starts full.
        await create(buckets);
        rows = await debit(buckets);
      }
      const allowed = rows[0]?.ok === true;
      let retryAfterS = 0;
      let tightest: BucketVerdict['tightest'] | undefined;
      for (const bucket of buckets) {
        const tokens = rows.find((r) => r.key === bucket.key)?.tokens ?? 0;
        if (!allowed && tokens < 1) {
          const wait = (1 - tokens) / bucket.perSecond;
          retryAfterS = Math.max(retryAfterS, wait);
          remember(bucket.key, at + wait * 1000);
        }
        const remaining = Math.max(0, Math.floor(tokens));
        if (!tightest || remaining < tightest.remaining) {
          tightest = { scope: bucket.scope, burst: bucket.burst, remaining, resetS: Math.max(0, (bucket.burst - tokens) / bucket.perSecond) };
        }
      }
      return { allowed, retryAfterS, tightest: tightest as BucketVerdict['tightest'], local: false };
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
