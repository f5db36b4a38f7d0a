import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitOutcomeUnknownError, unavailabilityOf, withControl, type Database } from '../../src/platform/db/index.js';
import { notificationsOf } from '../../src/modules/notifications/index.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { buildFleet, type Fleet } from '../support/fleet.js';
import {
  admin,
  badSamples,
  cluster,
  createFaultTenant,
  eventIds,
  expectIntact,
  listenOn,
  openFaultDatabase,
  openStream,
  sleep,
  startLoad,
} from './support.js';

/** Terminates this database's sessions of one application (the server's pool, or its LISTEN client). */
const terminate = async (databaseName: string, application: string): Promise<number> =>
  (
    await admin<{ pid: number }>(
      `select pg_terminate_backend(pid) as pid from pg_stat_activity where datname = $1 and application_name = $2 and pid <> pg_backend_pid()`,
      [databaseName, application],
    )
  ).length;

describe('database sessions lost under the server (terminated, LISTEN killed, pool exhausted)', () => {
  let database: Database;
  let name: string;
  let t: TestApp;
  let baseUrl: string;
  let slug: string;
  let fleet: Fleet;
  let token: string;
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => void crashes.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', onCrash);
    ({ database, name } = await openFaultDatabase({ poolSize: 4, poolTimeoutMs: 1_000 }));
    slug = await createFaultTenant(database, 'conn');
    fleet = await buildFleet(database, slug, {
      types: { VAN: [] },
      equipment: { VAN: 4 },
      drivers: [{ quals: [] }, { quals: [] }, { quals: [] }, { quals: [] }],
    });
    await admin(`create table public.fault_probe (id serial primary key, label text not null)`, [], name);
    t = await createTestApp(database);
    baseUrl = await listenOn(t.app);
    token = await t.identity.token({ roles: ['dispatcher'], tenant: slug });
  });
  afterAll(async () => {
    process.off('uncaughtException', onCrash);
    await t?.app.close();
    await database?.close();
  });

  it('a transaction whose session is terminated before COMMIT runs again and commits once', async () => {
    let attempts = 0;
    const label = `retry-${Date.now()}`;
    const result = await withControl(database.db, async (tx) => {
      attempts++;
      await sql`insert into public.fault_probe (label) values (${label})`.execute(tx);
      if (attempts === 1) await sql`select pg_terminate_backend(pg_backend_pid())`.execute(tx);
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toBe(2);
    expect(await admin(`select 1 from public.fault_probe where label = $1`, [label], name)).toHaveLength(1);
  });

  it('a session lost during COMMIT is not retried: the outcome is unknown, answered 503 with Retry-After', async () => {
    // A deferred trigger runs inside COMMIT: terminating its own session there loses the
    // connection while COMMIT is in flight — exactly the ambiguous case.
    await admin(
      `create function public.die_at_commit() returns trigger language plpgsql as $$ begin perform pg_terminate_backend(pg_backend_pid()); perform pg_sleep(1); return null; end $$;
       create constraint trigger die_at_commit after insert on public.fault_probe deferrable initially deferred for each row when (new.label like 'commit-%') execute function public.die_at_commit()`,
      [],
      name,
    );
    let attempts = 0;
    const label = `commit-${Date.now()}`;
    const failure = await withControl(database.db, async (tx) => {
      attempts++;
      await sql`insert into public.fault_probe (label) values (${label})`.execute(tx);
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(unavailabilityOf(failure)).toEqual({ kind: 'outcome-unknown', retryAfterSeconds: 2 });
    expect(attempts).toBe(1);
    await admin(`drop trigger die_at_commit on public.fault_probe`, [], name);
  });

  it('sessions terminated again and again under load: no crash, no 500, no lost acknowledged write', async () => {
    const load = startLoad(baseUrl, token, fleet, { clients: 6, pauseMs: 10 });
    let killed = 0;
    const until = Date.now() + 6_000;
    await sleep(500);
    while (Date.now() < until) {
      killed += await terminate(name, 'yardmaster');
      await sleep(300);
    }
    await sleep(1_000);
    const samples = await load.stop();

    expect(crashes).toEqual([]);
    expect(killed).toBeGreaterThan(5);
    expect(badSamples(samples).slice(0, 5)).toEqual([]);
    // Retried before COMMIT, most requests never notice; only a loss during COMMIT, or a retry
    // whose session was killed again, reaches the client, as a 503.
    const ok = samples.filter((s) => s.status < 300).length;
    expect(ok / samples.length).toBeGreaterThan(0.6);
    const board = await fetch(`${baseUrl}/api/v1/board`, { headers: { authorization: `Bearer ${token}` } });
    expect(board.status).toBe(200);
    await expectIntact(database, slug, load.acknowledged, load.completed);
  });

  it('the LISTEN connection killed: it reconnects and live events keep flowing without the poll', async () => {
    notificationsOf(t.app).settings.pollMs = 600_000; // only NOTIFY (and the reconnect's re-read) can deliver
    const stream = openStream(baseUrl, token);
    await stream.live;
    const create = () =>
      fetch(`${baseUrl}/api/v1/work-orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          siteId: fleet.siteId,
          description: 'after LISTEN loss',
          priority: 'low',
          lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
        }),
      });
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      expect(await terminate(name, 'yardmaster-listen')).toBeGreaterThan(0);
      // Events committed while the listener is down, and after it is back.
      for (let i = 0; i < 3; i++) {
        const response = await create();
        expect(response.status).toBe(201);
        acknowledged.push(((await response.json()) as { id: string }).id);
        await sleep(100);
      }
      const all = await eventIds(database, slug);
      await stream.waitForId(all.at(-1) ?? 0, 8_000);
    }
    const all = await eventIds(database, slug);
    expect(stream.ids).toEqual(all.filter((id) => id >= (stream.ids[0] ?? 0)));
    stream.close();
    notificationsOf(t.app).settings.pollMs = 1_000;
    expect(crashes).toEqual([]);
    await expectIntact(database, slug, acknowledged);
  });

  it('the pool exhausted: waiting requests get 503 + Retry-After after DATABASE_POOL_TIMEOUT_MS, the held ones finish, nothing leaks', async () => {
    // Another session locks the work orders: the first requests hold every pooled connection
    // while they wait for the lock; the rest find no connection within the pool timeout.
    const lock = await openLock(name, `t_${slug}.work_orders`);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        if (i === 11) {
          await sleep(2_500);
          await lock.release();
          return null;
        }
        const response = await fetch(`${baseUrl}/api/v1/work-orders?limit=5`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(15_000),
        });
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          type: response.headers.get('content-type'),
          body: (await response.json()) as { type?: string },
          ms: Date.now() - started,
        };
      }),
    );
    const got = answers.filter((a) => a !== null);
    const refused = got.filter((a) => a.status === 503);
    const served = got.filter((a) => a.status === 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(0);
    expect(refused.length + served.length).toBe(got.length);
    for (const a of refused) {
      expect(a.retryAfter).toMatch(/^\d+$/);
      expect(a.type).toMatch(/^application\/problem\+json/);
      expect(a.body.type).toBe('/problems/database-busy');
      expect(a.ms).toBeLessThan(2_500);
    }
    // Nothing leaked: the pool serves again at once.
    const after = await fetch(`${baseUrl}/api/v1/board`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(200);
    expect(crashes).toEqual([]);
    await expectIntact(database, slug, []);
  });
});

/** Holds an ACCESS EXCLUSIVE lock on `table` from a session of its own until `release`. */
async function openLock(databaseName: string, table: string): Promise<{ release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: cluster().url.replace(/\/postgres$/, `/${databaseName}`) });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${table} in access exclusive mode`);
  return {
    async release() {
      await client.query('commit');
      await client.end();
    },
  };
}
