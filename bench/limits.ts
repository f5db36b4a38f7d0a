/**
 * Cost of the rate limits: the same authenticated GET with limits off and on, on the real app over
 * a scratch PostgreSQL database, load from a child process (keep-alive, fixed concurrency); then
 * the bare bucket check (`take`, one atomic UPDATE … RETURNING) timed alone on PostgreSQL and on
 * embedded PGlite. Prints requests per second and latency percentiles.
 *
 *   node --import tsx bench/limits.ts                       # 8 s per run, 16 connections, 16 users of one tenant
 *   node --import tsx bench/limits.ts --users 1             # every connection the same caller
 *   node --import tsx bench/limits.ts --seconds 15 --connections 32 --rounds 3
 *
 * PostgreSQL: BENCH_POSTGRES_URL (or TEST_POSTGRES_URL), default postgres://postgres@127.0.0.1:5432/postgres.
 * Ports: BENCH_PORT (default 17100).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.js';
import { loadConfig } from '../apps/server/src/config.js';
import { migrations } from '../apps/server/src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant, type Database } from '../apps/server/src/platform/db/index.js';
import { createRateBuckets } from '../apps/server/src/modules/limits/rate-buckets.js';
import { createTestIdentity } from '../apps/server/test/support/identity.js';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PORT = Number(process.env.BENCH_PORT ?? 17_100);
const SLUG = 'bench_limits';
const URL_PATH = '/api/v1/sites?limit=1';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

type Load = { url: string; tokens: string[]; seconds: number; connections: number };
type Result = { requests: number; statuses: Record<number, number>; p50: number; p99: number; perSecond: number };

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Child process: keeps `connections` requests in flight for `seconds`, reports throughput and latency. */
function loadMain(): void {
  process.once('message', (load: Load) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: load.connections });
    const latencies: number[] = [];
    const statuses: Record<number, number> = {};
    const started = performance.now();
    const end = started + load.seconds * 1000;
    const one = (token: string): Promise<void> =>
      new Promise((resolve) => {
        const t0 = performance.now();
        const request = http.get(load.url, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - t0);
            statuses[response.statusCode ?? 0] = (statuses[response.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        });
        request.on('error', () => resolve());
      });
    const worker = async (_: unknown, i: number): Promise<void> => {
      const token = load.tokens[i % load.tokens.length] ?? '';
      while (performance.now() < end) await one(token);
    };
    void Promise.all(Array.from({ length: load.connections }, worker)).then(() => {
      const sorted = latencies.sort((a, b) => a - b);
      const elapsed = (performance.now() - started) / 1000;
      const result: Result = {
        requests: sorted.length,
        statuses,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        perSecond: sorted.length / elapsed,
      };
      process.send?.(result, () => process.exit(0));
    });
  });
}

function runLoad(load: Load): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load'], { execArgv: ['--import', 'tsx'] });
    child.once('message', (result: Result) => resolve(result));
    child.once('error', reject);
    child.send(load);
  });
}

async function serveAndLoad(database: Database, limits: boolean, seconds: number, connections: number, users: number): Promise<Result> {
  const identity = await createTestIdentity();
  const plan = { userPerSecond: 1e5, userBurst: 1e6, tenantPerSecond: 1e6, tenantBurst: 1e7, userStreams: 10, tenantStreams: 100 };
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    SEED_DEMO: 'false',
    RATE_LIMITS: limits ? 'on' : 'off',
    RATE_LIMIT_PLANS: JSON.stringify({ bench: plan }),
    RATE_LIMIT_DEFAULT_PLAN: 'bench',
  });
  const app = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent' });
  await app.listen({ host: '127.0.0.1', port: PORT });
  try {
    const tokens = await Promise.all(
      Array.from({ length: users }, () => identity.token({ roles: ['dispatcher'], tenant: SLUG }, {}, { expiresIn: '1h' })),
    );
    const url = `http://127.0.0.1:${PORT}${URL_PATH}`;
    await runLoad({ url, tokens, seconds: 1, connections }); // warm-up
    return await runLoad({ url, tokens, seconds, connections });
  } finally {
    await app.close();
  }
}

type Timing = { meanMs: number; p50: number; p99: number };

/** The bucket check, interleaved with a bare `select 1` round trip measured under the same conditions. */
async function timeChecks(database: Database, count: number): Promise<{ check: Timing; select1: Timing }> {
  const buckets = createRateBuckets(database.db);
  const keys = {
    user: { key: `u:bench:${randomBytes(4).toString('hex')}`, scope: 'user' as const, perSecond: 1e5, burst: 1e6 },
    tenant: { key: `t:bench:${randomBytes(4).toString('hex')}`, scope: 'tenant' as const, perSecond: 1e6, burst: 1e7 },
  };
  await buckets.take(keys);
  const check: number[] = [];
  const select1: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await buckets.take(keys);
    const t1 = performance.now();
    await sql`select 1`.execute(database.db);
    select1.push(performance.now() - t1);
    check.push(t1 - t0);
  }
  const stats = (times: number[]): Timing => {
    const sorted = times.sort((a, b) => a - b);
    return { meanMs: sorted.reduce((s, t) => s + t, 0) / sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  return { check: stats(check), select1: stats(select1) };
}

async function main(): Promise<void> {
  const seconds = arg('--seconds', 8);
  const connections = arg('--connections', 16);
  // 1: every connection is the same caller (its checks coalesce); N: N callers of one tenant (the tenant's row is shared).
  const users = arg('--users', 16);
  const name = `ym_bench_limits_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const pgliteDir = mkdtempSync(path.join(tmpdir(), 'ym-bench-limits-'));
  try {
    const database = await openDatabase({ kind: 'postgres', url: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`), poolSize: 10 });
    await migrateAll(database.db, migrations);
    await provisionTenant(database.db, { slug: SLUG, name: 'Bench', timeZone: 'UTC' }, migrations.tenant);
    const fmt = (r: Result): string =>
      `${r.perSecond.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${r.requests} requests, statuses ${JSON.stringify(r.statuses)})`;
    // Off, on, off, on…: the machine's background load shifts; alternating shows it.
    for (let round = 1; round <= arg('--rounds', 2); round++) {
      process.stdout.write(`round ${round} limits off: ${fmt(await serveAndLoad(database, false, seconds, connections, users))}\n`);
      process.stdout.write(`round ${round} limits on:  ${fmt(await serveAndLoad(database, true, seconds, connections, users))}\n`);
    }
    const fmtT = (t: Timing): string => `mean ${t.meanMs.toFixed(3)} ms, p50 ${t.p50.toFixed(3)} ms, p99 ${t.p99.toFixed(3)} ms`;
    const onPg = await timeChecks(database, 5_000);
    process.stdout.write(`PostgreSQL, 5,000 sequential: bucket check ${fmtT(onPg.check)}; select 1 ${fmtT(onPg.select1)}\n`);
    await database.close();

    const embedded = await openDatabase({ kind: 'embedded', dataDir: pgliteDir });
    await migrateAll(embedded.db, migrations);
    const onPglite = await timeChecks(embedded, 2_000);
    process.stdout.write(`PGlite, 2,000 sequential: bucket check ${fmtT(onPglite.check)}; select 1 ${fmtT(onPglite.select1)}\n`);
    await embedded.close();
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    rmSync(pgliteDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load')) loadMain();
else await main();
