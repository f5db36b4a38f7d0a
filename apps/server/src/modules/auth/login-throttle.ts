import { isIPv4, isIPv6 } from 'node:net';
import { sql, type Kysely } from 'kysely';
import type { ControlTables } from '../../platform/db/index.js';

/** After `freeAttempts` failures within `windowMs`, each attempt waits `firstDelayS`, doubling up to `maxDelayS`. */
export type ThrottleRule = { freeAttempts: number; windowMs: number; firstDelayS: number; maxDelayS: number };

export type LoginThrottleSettings = {
  /** One account, from any address (guessing one person's password from many machines). */
  account: ThrottleRule;
  /** One address, against any accounts (password spraying). */
  address: ThrottleRule;
};

export const defaultLoginThrottleSettings = (): LoginThrottleSettings => ({
  account: { freeAttempts: 5, windowMs: 15 * 60_000, firstDelayS: 30, maxDelayS: 15 * 60 },
  address: { freeAttempts: 20, windowMs: 15 * 60_000, firstDelayS: 30, maxDelayS: 15 * 60 },
});

type LoginFailuresTable = { key: string; failures: number; first_at: Date; blocked_until: Date | null };

/* eslint-disable @typescript-eslint/consistent-type-definitions -- declaration merging */
declare module '../../platform/db/tables.js' {
  interface ControlTables {
    'control.login_failures': LoginFailuresTable;
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */

/**
 * The address a throttle counts: IPv4 as is, IPv6 by its /64 (one subscriber's whole prefix), an
 * IPv4-mapped IPv6 address as IPv4.
 */
export function addressKeyOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const accountKey = (email: string): string => `account:${email.trim().toLowerCase()}`;
const addressKey = (ip: string): string => `address:${addressKeyOf(ip)}`;

/**
 * Failed sign-in throttling of the embedded provider, per account across addresses and per
 * address across accounts, in `control.login_failures` so every instance shares it. A row per key
 * lives until its window is over; there is no bounded cache that a flood of other e-mails could
 * churn to evict a victim's counter. A success clears the account's counter but takes back only
 * its own attempt from the address's (one valid account must not reset a sprayer's count).
 */
export function createLoginThrottle(db: Kysely<ControlTables>, settings: LoginThrottleSettings = defaultLoginThrottleSettings()) {
  let lastSweep = 0;
  const { account, address } = settings;
  const rule = (name: keyof ThrottleRule) =>
    sql`case when starts_with(f.key, 'account:') then ${account[name]}::float8 else ${address[name]}::float8 end`;

  async function sweep(): Promise<void> {
    if (Date.now() - lastSweep < 60_000) return;
    lastSweep = Date.now();
    const windowS = Math.max(account.windowMs, address.windowMs) / 1000;
    await sql`delete from control.login_failures where first_at < now() - make_interval(secs => ${windowS}) and coalesce(blocked_until, '-infinity') <= now()`.execute(
      db,
    );
  }

  return {
    /**
     * Counts a sign-in attempt against the account and the address BEFORE the password is checked
     * (so parallel guesses cannot all slip in before the first failure lands), in one statement.
     * Returns the seconds to wait when the account or the address is blocked (the attempt must be
     * refused), else 0. A key that is blocked is not charged again.
     */
    async attempt(email: string, ip: string): Promise<number> {
      const keys = email.trim() === '' ? [addressKey(ip)] : [accountKey(email), addressKey(ip)];
      const expired = sql`(f.first_at < now() - make_interval(secs => ${rule('windowMs')} / 1000) and coalesce(f.blocked_until, '-infinity') <= now())`;
      const failures = sql`(case when ${expired} then 1 else f.failures + 1 end)`;
      const { rows } = await sql<{ key: string }>`
        insert into control.login_failures as f (key, failures, first_at, blocked_until)
        select key, 1, now(), null from unnest(${keys}::text[]) as k (key)
        on conflict (key) do update set
          failures = ${failures},
          first_at = case when ${expired} then now() else f.first_at end,
          blocked_until = case
            when ${failures} >= ${rule('freeAttempts')}
              then now() + make_interval(secs => least(${rule('maxDelayS')}, ${rule('firstDelayS')} * power(2, ${failures} - ${rule('freeAttempts')})))
            else f.blocked_until end
        where f.blocked_until is null or f.blocked_until <= now()
        returning key`.execute(db);
      await sweep();
      if (rows.length === keys.length) return 0;
      // A key was not charged: it is blocked (read again: a concurrent attempt may have just blocked it).
      const blocked = await sql<{ wait: number | null }>`
        select max(extract(epoch from blocked_until - now()))::float8 as wait
          from control.login_failures where key in (${sql.join(keys)}) and blocked_until > now()`.execute(db);
      return Math.max(1, Math.ceil(blocked.rows[0]?.wait ?? 1));
    },
    /** A correct password: the account's count is cleared, and this attempt no longer counts against the address. */
    async succeeded(email: string, ip: string): Promise<void> {
      await db.deleteFrom('control.login_failures').where('key', '=', accountKey(email)).execute();
      await sql`update control.login_failures set failures = greatest(0, failures - 1) where key = ${addressKey(ip)}`.execute(db);
    },
    /**
     * A right password whose second factor is still due: the attempt no longer counts against the
     * address, but stays on the account until the code is right (re-entering the password must not
     * reset the count of wrong codes).
     */
    async passedFirstFactor(ip: string): Promise<void> {
      await sql`update control.login_failures set failures = greatest(0, failures - 1) where key = ${addressKey(ip)}`.execute(db);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
