import { sql, type Kysely } from 'kysely';
import type { ControlTables } from '../../platform/db/index.js';
import './limits.tables.js';

/** One token bucket: `perSecond` tokens flow in, up to `burst`; a request takes one. */
export type Bucket = { key: string; scope: 'user' | 'tenant'; perSecond: number; burst: number };

/** What one request is checked against: its caller's bucket and (for tenant members) the tenant's. */
export type RequestBuckets = { user: Bucket; tenant: Bucket | null };

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
type Waiter = { buckets: RequestBuckets; resolve: (verdict: BucketVerdict) => void; reject: (error: unknown) => void };
type Lane = { waiting: Waiter[] };

/**
 * Token buckets in PostgreSQL, shared by every instance.
 *
 * One statement checks and debits the buckets of a batch of requests atomically: the rows are
 * locked in key order and refilled for the time elapsed; each caller is granted at most the
 * requests its own bucket covers, and all of them together at most what the tenant's bucket holds
 * (in arrival order). A refusal by the tenant's bucket costs the user nothing.
 *
 * Batching: per instance, one statement per tenant is in flight at a time; requests of that tenant
 * arriving meanwhile queue and go together in the next one. So the tenant's row sees at most one
 * lock holder per instance — no convoy of row locks however many requests are concurrent — and
 * the count stays exact (nothing is leased or held back in memory).
 *
 * A refusal is remembered by the instance until the bucket will have a token again, so a flood is
 * answered without touching the database; correct across instances, because other instances can
 * only take tokens, never add them.
 */
export function createRateBuckets(db: Kysely<ControlTables>, now: () => number = Date.now) {
  const refusedUntil = new Map<string, number>();
  const lanes = new Map<string, Lane>();

  function remember(key: string, until: number): void {
    if (refusedUntil.size >= 50_000) {
      const at = now();
      for (const [k, u] of refusedUntil) if (u <= at) refusedUntil.delete(k);
    }
    refusedUntil.set(key, until);
  }

  /** Distinct buckets of a batch: each user with how many requests it wants (in arrival order), and the tenant. */
  function bucketsOfBatch(batch: readonly Waiter[]): { users: Array<{ bucket: Bucket; want: number }>; tenant: Bucket | null } {
    const users = new Map<string, { bucket: Bucket; want: number }>();
    let tenant: Bucket | null = null;
    for (const { buckets } of batch) {
      const entry = users.get(buckets.user.key);
      if (entry) entry.want++;
      else users.set(buckets.user.key, { bucket: buckets.user, want: 1 });
      tenant = buckets.tenant ?? tenant;
    }
    return { users: [...users.values()], tenant };
  }

  async function debit(users: ReadonlyArray<{ bucket: Bucket; want: number }>, tenant: Bucket | null): Promise<Row[]> {
    const rows = [
      ...users.map(
        ({ bucket, want }, i) =>
          sql`(${bucket.key}::text, ${bucket.perSecond}::float8, ${bucket.burst}::float8, ${want}::float8, ${i}::int, false)`,
      ),
      ...(tenant ? [sql`(${tenant.key}::text, ${tenant.perSecond}::float8, ${tenant.burst}::float8, 0::float8, -1::int, true)`] : []),
    ];
    const { rows: result } = await sql<Row>`
      with p (key, rate, burst, want, ord, is_tenant) as (values ${sql.join(rows)}),
      cur as (
        select b.key, p.want, p.ord, p.is_tenant,
               least(p.burst, b.tokens + p.rate * greatest(0, extract(epoch from clock_timestamp() - b.at)::float8)) as avail
          from control.rate_buckets b join p on p.key = b.key
         order by b.key
           for update of b
      ),
      cap as (select coalesce(min(floor(avail)), 1e18::float8) as tokens from cur where is_tenant),
      users as (select key, ord, least(want, floor(avail)) as fits from cur where not is_tenant),
      alloc as (
        select users.key,
               greatest(0, least(users.fits, cap.tokens - coalesce(sum(users.fits) over (order by users.ord rows between unbounded preceding and 1 preceding), 0))) as granted
          from users, cap
      ),
      total as (select coalesce(sum(granted), 0) as granted from alloc),
      n as (select count(*) as rows from cur)
      update control.rate_buckets b
         set tokens = cur.avail - coalesce(alloc.granted, total.granted), at = clock_timestamp()
        from cur left join alloc on alloc.key = cur.key, total, n
       where b.key = cur.key and n.rows = ${rows.length}
      returning b.key, b.tokens, coalesce(alloc.granted, total.granted) as granted`.execute(db);
    return result;
  }

  async function create(users: ReadonlyArray<{ bucket: Bucket }>, tenant: Bucket | null): Promise<void> {
    const all = [...users.map((u) => u.bucket), ...(tenant ? [tenant] : [])];
    const params = sql.join(all.map((b) => sql`(${b.key}::text, ${b.burst}::float8)`));
    await sql`
      insert into control.rate_buckets (key, tokens, at)
      select key, burst, clock_timestamp() from (values ${params}) as p (key, burst)
      on conflict (key) do nothing`.execute(db);
  }

  function stateOf(bucket: Bucket, tokens: number): BucketVerdict['tightest'] {
    return {
      scope: bucket.scope,
      burst: bucket.burst,
      remaining: Math.max(0, Math.floor(tokens)),
      resetS: Math.max(0, (bucket.burst - tokens) / bucket.perSecond),
    };
  }

  /** One statement for a batch of requests of one tenant; each waiter learns whether it got a token. */
  async function check(batch: readonly Waiter[]): Promise<BucketVerdict[]> {
    const at = now();
    const { users, tenant } = bucketsOfBatch(batch);
    let rows = await debit(users, tenant);
    if (rows.length < users.length + (tenant ? 1 : 0)) {
      // First request of a user or tenant: its bucket starts full.
      await create(users, tenant);
      rows = await debit(users, tenant);
    }
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const tenantTokens = tenant ? (byKey.get(tenant.key)?.tokens ?? 0) : Infinity;
    const left = new Map(users.map(({ bucket }) => [bucket.key, Number(byKey.get(bucket.key)?.granted ?? 0)]));
    return batch.map(({ buckets }) => {
      const userTokens = byKey.get(buckets.user.key)?.tokens ?? 0;
      const userState = stateOf(buckets.user, userTokens);
      const tightest = tenant && tenantTokens < userTokens ? stateOf(tenant, tenantTokens) : userState;
      const grants = left.get(buckets.user.key) ?? 0;
      if (grants > 0) {
        left.set(buckets.user.key, grants - 1);
        return { allowed: true, retryAfterS: 0, tightest, local: false };
      }
      let retryAfterS = 0.001;
      if (userTokens < 1) {
        retryAfterS = Math.max(retryAfterS, (1 - userTokens) / buckets.user.perSecond);
        remember(buckets.user.key, at + retryAfterS * 1000);
      }
      if (tenant && tenantTokens < 1) {
        const wait = (1 - tenantTokens) / tenant.perSecond;
        retryAfterS = Math.max(retryAfterS, wait);
        remember(tenant.key, at + wait * 1000);
      }
      // Which limit refused it: the tenant's when the user still had tokens.
      return { allowed: false, retryAfterS, tightest: userTokens >= 1 && tenant ? stateOf(tenant, tenantTokens) : userState, local: false };
    });
  }

  async function drain(laneKey: string, lane: Lane): Promise<void> {
    while (lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0);
      try {
        const verdicts = await check(batch);
        batch.forEach((waiter, i) => waiter.resolve(verdicts[i] as BucketVerdict));
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    lanes.delete(laneKey);
  }

  return {
    take(buckets: RequestBuckets): Promise<BucketVerdict> {
      const at = now();
      const waitMs = Math.max(
        (refusedUntil.get(buckets.user.key) ?? 0) - at,
        buckets.tenant ? (refusedUntil.get(buckets.tenant.key) ?? 0) - at : 0,
      );
      if (waitMs > 0) {
        return Promise.resolve({
          allowed: false,
          retryAfterS: waitMs / 1000,
          tightest: { scope: 'user', burst: buckets.user.burst, remaining: 0, resetS: buckets.user.burst / buckets.user.perSecond },
          local: true,
        });
      }
      // One lane per tenant (per caller for operators, who have no tenant).
      const laneKey = buckets.tenant?.key ?? buckets.user.key;
      return new Promise<BucketVerdict>((resolve, reject) => {
        const existing = lanes.get(laneKey);
        if (existing) {
          existing.waiting.push({ buckets, resolve, reject });
          return;
        }
        const lane: Lane = { waiting: [{ buckets, resolve, reject }] };
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
