/**
 * Live updates benchmark: the real app on a scratch PostgreSQL database, listening on 127.0.0.1,
 * N SSE clients (in a child process, so the server's memory is measured alone), then a stream of
 * events published one transaction each. Prints the server's memory per connection and the
 * latency from commit to receipt (p50/p99 over every client × event). Bounded in time (240 s).
 *
 *   npm run bench:live                              # 2,000 clients, 100 events
 *   node --expose-gc --import tsx bench/live.ts --clients 10000 --events 100 --rate 20
 *
 * PostgreSQL: BENCH_POSTGRES_URL (or TEST_POSTGRES_URL), default postgres://postgres@127.0.0.1:5432/postgres.
 * Needs file descriptors for 2 × clients (ulimit -n).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.js';
import { loadConfig } from '../apps/server/src/config.js';
import { migrations } from '../apps/server/src/migrations/index.js';
import { notificationsOf, publishEvent } from '../apps/server/src/modules/notifications/index.js';
import { migrateAll, openDatabase, provisionTenant, withTenant } from '../apps/server/src/platform/db/index.js';
import { createTestIdentity } from '../apps/server/test/support/identity.js';
import { dropTenantRolesOf } from '../apps/server/test/support/tenant-roles.js';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SLUG = 'bench_live';
const DEADLINE_MS = 240_000;

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const now = (): number => performance.timeOrigin + performance.now();

type ToChild =
  { kind: 'connect'; url: string; token: string; clients: number } | { kind: 'commits'; commits: Record<number, number>; events: number };
type FromChild =
  | { kind: 'connected'; open: number; failed: number }
  | { kind: 'received'; total: number }
  | { kind: 'latency'; count: number; missing: number; p50: number; p99: number; max: number };

/** Child process: opens the clients, records receipt times, computes latencies once told the commit times. */
function clientMain(): void {
  const receipts: Array<Map<number, number>> = [];
  let received = 0;
  const send = (message: FromChild): void => void process.send?.(message);
  process.on('message', (message: ToChild) => {
    if (message.kind === 'connect') {
      const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
      let open = 0;
      let failed = 0;
      let pending = message.clients;
      const errors = new Map<string, number>();
      let waveLeft = 0;
      let nextWave: () => void = () => undefined;
      const done = (): void => {
        if (--waveLeft === 0) nextWave();
        if (--pending === 0) {
          if (errors.size > 0) console.error(`bench:live: connect errors ${JSON.stringify(Object.fromEntries(errors))}`);
          send({ kind: 'connected', open, failed });
        }
      };
      // Connect in waves of 500 (each waits for the previous wave's answers), as real clients do not
      // all arrive in the same millisecond: a starved server's accept backlog would refuse them.
      let opened = 0;
      const openOne = (): void => {
        const mine = new Map<number, number>();
        receipts.push(mine);
        let buffer = '';
        const request = http.get(message.url, { agent, headers: { authorization: `Bearer ${message.token}` } }, (response) => {
          if (response.statusCode === 200) open++;
          else failed++;
          done();
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            const at = now();
            buffer += chunk;
            let cut: number;
            while ((cut = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              const n = /"n":(\d+)/.exec(block)?.[1];
              if (n !== undefined) {
                mine.set(Number(n), at);
                received++;
              }
            }
          });
        });
        request.on('error', (error: NodeJS.ErrnoException) => {
          failed++;
          errors.set(error.code ?? error.message, (errors.get(error.code ?? error.message) ?? 0) + 1);
          done();
        });
      };
      nextWave = (): void => {
        const size = Math.min(500, message.clients - opened);
        if (size <= 0) return;
        waveLeft = size;
        for (let i = 0; i < size; i++, opened++) openOne();
      };
      nextWave();
      setInterval(() => send({ kind: 'received', total: received }), 200).unref();
    } else {
      const latencies: number[] = [];
      let missing = 0;
      for (const mine of receipts) {
        for (let n = 0; n < message.events; n++) {
          const at = mine.get(n);
          const committed = message.commits[n];
          if (at === undefined || committed === undefined) missing++;
          else latencies.push(at - committed);
        }
      }
      latencies.sort((a, b) => a - b);
      const pick = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
      send({
        kind: 'latency',
        count: latencies.length,
        missing,
        p50: pick(0.5),
        p99: pick(0.99),
        max: latencies[latencies.length - 1] ?? NaN,
      });
    }
  });
}

function next<T extends FromChild['kind']>(child: ChildProcess, kind: T): Promise<Extract<FromChild, { kind: T }>> {
  return new Promise((resolve) => {
    const onMessage = (message: FromChild): void => {
      if (message.kind !== kind) return;
      child.off('message', onMessage);
      resolve(message as Extract<FromChild, { kind: T }>);
    };
    child.on('message', onMessage);
  });
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function main(): Promise<void> {
  const clients = arg('--clients', 2000);
  const events = arg('--events', 100);
  const rate = arg('--rate', 20);
  const started = Date.now();
  const name = `ym_bench_live_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 10 });
  const child = fork(fileURLToPath(import.meta.url), ['--client'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const watchdog = setTimeout(() => {
    console.error(`bench:live: over ${DEADLINE_MS / 1000} s, giving up`);
    child.kill();
    process.exit(1);
  }, DEADLINE_MS);
  try {
    await migrateAll(database.db, migrations);
    await provisionTenant(database.db, { slug: SLUG, name: 'Bench', timeZone: 'UTC' }, migrations.tenant);
    const identity = await createTestIdentity();
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      NODE_ENV: 'production',
      SEED_DEMO: 'false',
      RATE_LIMITS: 'off' /* thousands of streams of one token: no stream cap here */,
    });
    const app = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const token = await identity.token({ roles: ['dispatcher'], tenant: SLUG }, {}, { expiresIn: '1h' });

    gc();
    const before = process.memoryUsage();
    const connectStart = Date.now();
    child.send({ kind: 'connect', url: `http://127.0.0.1:${port}/api/v1/events`, token, clients } satisfies ToChild);
    const connected = await next(child, 'connected');
    const connectMs = Date.now() - connectStart;
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // joins settle
    gc();
    const after = process.memoryUsage();

    const cpuBefore = process.cpuUsage();
    const commits: Record<number, number> = {};
    const interval = 1000 / rate;
    for (let n = 0; n < events; n++) {
      await withTenant(database.db, SLUG, (tx) =>
        publishEvent(tx, { type: 'bench.tick', entityType: 'bench', entityId: String(n), data: { n } }),
      );
      commits[n] = now();
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
    const expected = connected.open * events;
    const waitUntil = Date.now() + 15_000;
    for (;;) {
      const { total } = await next(child, 'received');
      if (total >= expected || Date.now() > waitUntil) break;
    }
    const cpu = process.cpuUsage(cpuBefore);
    child.send({ kind: 'commits', commits, events } satisfies ToChild);
    const latency = await next(child, 'latency');

    const perConnRss = (after.rss - before.rss) / Math.max(1, connected.open);
    const perConnHeap = (after.heapUsed - before.heapUsed) / Math.max(1, connected.open);
    console.log(
      `bench:live — ${connected.open} SSE clients open (${connected.failed} failed) in ${connectMs} ms; ${events} events at ${rate}/s`,
    );
    console.log(`server memory: rss ${mb(before.rss)} → ${mb(after.rss)}, heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}`);
    console.log(`per connection: rss ${(perConnRss / 1024).toFixed(1)} KiB, heap ${(perConnHeap / 1024).toFixed(1)} KiB`);
    console.log(
      `commit → receipt over ${latency.count} deliveries (${latency.missing} missing): p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms`,
    );
    const fan = notificationsOf(app).hub.stats();
    console.log(
      `server CPU while publishing and fanning out: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (${((cpu.user + cpu.system) / 1000 / events).toFixed(1)} ms per event, ${((cpu.user + cpu.system) / Math.max(1, connected.open * events)).toFixed(2)} µs per delivery)`,
    );
    console.log(
      `fan-out: ${fan.batches} batches of ${fan.events} events → ${fan.writes} socket writes (${mb(fan.bytes)}); back-pressure: ${fan.stalls} stalls, ${fan.cutOff} cut off, largest unread output ${(fan.maxBuffered / 1024).toFixed(1)} KiB`,
    );
    console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
    child.kill();
    await app.close();
  } finally {
    clearTimeout(watchdog);
    child.kill();
    await database.close();
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
    await admin.query(`drop database if exists ${name}`);
    await dropTenantRolesOf(admin, name);
    await admin.end();
  }
}

if (process.argv.includes('--client')) {
  clientMain();
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
