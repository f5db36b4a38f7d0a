import pg from 'pg';

/**
 * Multi-host connection strings, as libpq reads them:
 *   postgres://user@db1:5432,db2:5432/yardmaster?target_session_attrs=read-write
 * node-postgres takes one host, so the project finds the read-write primary itself: try each host,
 * keep the one where `pg_is_in_recovery()` is false, and look again when a connection fails or lands
 * on a standby (after a failover the old primary is gone or has come back as a standby).
 * See docs/decisions/0003-failover-finds-the-primary.md.
 */
export function isMultiHostUrl(url: string): boolean {
  return /^postgres(ql)?:\/\/(?:[^@/]*@)?[^/?]*,/.test(url);
}

type Target = { host: string; port: number };

/** Splits a multi-host URL into one single-host URL per host (the session attribute removed). */
export function singleHostUrls(url: string): string[] {
  const match = /^(postgres(?:ql)?:\/\/)((?:[^@/]*@)?)([^/?]*)(.*)$/.exec(url);
  if (!match) throw new Error('not a postgres:// URL');
  const [, scheme, auth, hosts, rest] = match as unknown as [string, string, string, string, string];
  const attrs = /[?&]target_session_attrs=([^&]*)/.exec(rest)?.[1];
  if (attrs !== undefined && attrs !== 'read-write' && attrs !== 'primary') {
    throw new Error(`target_session_attrs=${attrs} is not supported; the server needs the read-write primary`);
  }
  const tail = rest.replace(/([?&])target_session_attrs=[^&]*&?/, '$1').replace(/[?&]$/, '');
  return hosts.split(',').map((h) => `${scheme}${auth}${h.includes(':') || h.startsWith('[') ? h : `${h}:5432`}${tail}`);
}

function targetOf(url: string): Target {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 5432) };
}

/** Errors after which the primary may have moved: look again before the next connection. */
const MOVED = new Set(['25006', '57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

export type PrimaryLocator = {
  /** The current primary's single-host URL, probing the hosts when it is not known. */
  primary: () => Promise<string>;
  /** Forget the current primary (a connection failed or found a standby). */
  invalidate: () => void;
  hosts: readonly string[];
};

const PROBE_TIMEOUT_MS = 2_000;
const PROBE_PAUSE_MS = 250;

async function isWritablePrimary(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS, application_name: 'yardmaster-probe' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ standby: boolean }>('select pg_is_in_recovery() as standby');
    return rows[0]?.standby === false;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined); // a probe connection: closing one that already failed has nothing to report
  }
}

export function createPrimaryLocator(url: string): PrimaryLocator {
  const hosts = singleHostUrls(url);
  let current: string | undefined;
  let probing: Promise<string> | undefined;
  let lastProbe = 0;

  const probe = async (): Promise<string> => {
    const wait = lastProbe + PROBE_PAUSE_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    lastProbe = Date.now();
    const verdicts = await Promise.all(hosts.map(isWritablePrimary));
    const found = hosts[verdicts.indexOf(true)];
    if (!found) throw Object.assign(new Error(`no read-write primary among ${hosts.length} database hosts`), { code: 'ECONNREFUSED' });
    current = found;
    return found;
  };

  return {
    hosts,
    primary() {
      if (current) return Promise.resolve(current);
      probing ??= probe().finally(() => {
        probing = undefined;
      });
      return probing;
    },
    invalidate() {
      current = undefined;
    },
  };
}

/**
 * A node-postgres client that connects to the locator's primary, checks it really is the primary,
 * and forgets it on errors that mean it may have moved (so the pool drops this client and the next
 * one looks again).
 */
function primaryClientClass(locator: PrimaryLocator): typeof pg.Client {
  class PrimaryClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', (error: Error & { code?: string }) => {
        if (!error.code || MOVED.has(error.code)) locator.invalidate();
      });
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
      const done = this.connectToPrimary().then(() => this as pg.Client);
      if (!callback) return done;
      const cb = callback as (err: Error | null, c?: pg.Client) => void;
      done.then(
        (c) => cb(null, c),
        (error: unknown) => cb(error as Error),
      );
    }

    private async connectToPrimary(): Promise<void> {
      const target = targetOf(await locator.primary());
      this.host = target.host;
      this.port = target.port;
      try {
        await super.connect();
      } catch (error) {
        locator.invalidate();
        throw error;
      }
      const { rows } = await super.query<{ standby: boolean }>('select pg_is_in_recovery() as standby');
      if (rows[0]?.standby !== false) {
        locator.invalidate();
        await this.end().catch(() => undefined); // discarded anyway; the error thrown below is the one that matters
        throw Object.assign(new Error(`${target.host}:${target.port} is a standby now; looking for the primary again`), { code: '25006' });
      }
    }
  }
  return PrimaryClient;
}

/** A pool over a multi-host URL whose connections always reach the current read-write primary. */
export function createPrimaryPool(url: string, options: Omit<pg.PoolConfig, 'connectionString'>): pg.Pool {
  const locator = createPrimaryLocator(url);
  const first = new URL(locator.hosts[0] ?? '');
  const pool = new pg.Pool({
    ...options,
    Client: primaryClientClass(locator),
    user: decodeURIComponent(first.username) || undefined,
    password: first.password ? decodeURIComponent(first.password) : undefined,
    database: decodeURIComponent(first.pathname.slice(1)) || undefined,
  });
  pool.on('error', () => undefined);
  return pool;
}

/** A client for a single session (LISTEN) on the primary, for either kind of URL; not yet connected. */
export function createSessionClient(url: string, applicationName: string): pg.Client {
  // Bounded connect and TCP keepalive, so a vanished server is noticed and a reconnect never hangs.
  const session = { application_name: applicationName, connectionTimeoutMillis: 10_000, keepAlive: true };
  if (!isMultiHostUrl(url)) return new pg.Client({ connectionString: url, ...session });
  const locator = createPrimaryLocator(url);
  const Client = primaryClientClass(locator);
  const first = new URL(locator.hosts[0] ?? '');
  return new Client({
    user: decodeURIComponent(first.username) || undefined,
    password: first.password ? decodeURIComponent(first.password) : undefined,
    database: decodeURIComponent(first.pathname.slice(1)) || undefined,
    ...session,
  });
}
