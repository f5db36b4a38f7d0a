// npm run bench:dispatch — dispatch throughput against the local PostgreSQL, and pgbench's
// TPC-B-like TPS with the same client count on the same database, for scale.
//   CLIENTS=8 SECONDS=20 TENANTS=1 npm run bench:dispatch
// Not part of npm test. Creates a scratch database and drops it afterwards.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { sql } from 'kysely';
import { buildApp } from '../apps/server/src/app.js';
import { loadConfig } from '../apps/server/src/config.js';
import { migrations } from '../apps/server/src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant, withTenant } from '../apps/server/src/platform/db/index.js';
import { buildFleet } from '../apps/server/test/support/fleet.js';
import { createTestIdentity } from '../apps/server/test/support/identity.js';

const CLIENTS = Number(process.env.CLIENTS ?? 8);
const SECONDS = Number(process.env.SECONDS ?? 20);
// Each tenant's writes are serialised (gap-free audit chain, fair queue); tenants run in parallel.
const TENANTS = Number(process.env.TENANTS ?? 1);
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `ym_bench_${randomBytes(4).toString('hex')}`;
const url = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${dbName}`);

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

try {
  const database = await openDatabase({ kind: 'postgres', url, poolSize: CLIENTS + 4 });
  await migrateAll(database.db, migrations);
  const tenants: Array<{ slug: string; fleet: Awaited<ReturnType<typeof buildFleet>> }> = [];
  for (let t = 0; t < TENANTS; t++) {
    const slug = `bench${t}`;
    await provisionTenant(database.db, { slug, name: `Bench ${t}`, timeZone: 'UTC' }, migrations.tenant);
    // A realistic mid-size fleet: four types, qualified drivers for each.
    const fleet = await buildFleet(database, slug, {
      types: { VAN: [], TRUCK: ['CDL'], CRANE: ['NCCCO'], EXC: ['CPCS'] },
      equipment: { VAN: 30, TRUCK: 30, CRANE: 10, EXC: 30 },
      drivers: Array.from({ length: 120 }, (_, i) => ({ quals: [['CDL'], ['NCCCO'], ['CPCS'], []][i % 4] ?? [] })),
    });
    tenants.push({ slug, fleet });
  }
  const identity = await createTestIdentity();
  const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'production', SEED_DEMO: 'false', RATE_LIMITS: 'off' /* measures dispatch, not the limits (bench/limits.ts) */ });
  const app = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent', sweepIntervalMs: 60_000 });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const tokens = await Promise.all(tenants.map((t) => identity.token({ roles: ['dispatcher'], tenant: t.slug })));

  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const timed = async (headers: Record<string, string>, path: string, body: unknown, extra: Record<string, string> = {}) => {
    const start = performance.now();
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    latencies.push(performance.now() - start);
    requests++;
    if (res.status >= 500) errors++;
    return { status: res.status, json };
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      let i = c;
      const { fleet } = tenants[c % TENANTS] ?? tenants[0]!;
      const headers = { authorization: `Bearer ${tokens[c % TENANTS] ?? ''}`, 'content-type': 'application/json' };
      const types = Object.values(fleet.typeIds);
      while (Date.now() < deadline) {
        const created = await timed(headers, '/api/v1/work-orders', {
          siteId: fleet.siteId,
          description: 'bench',
          priority: 'standard',
          lines: [{ equipmentTypeId: types[i++ % types.length], quantity: 1 }],
        });
        const dispatchId = (created.json.dispatchIds as string[] | undefined)?.[0];
        if (!dispatchId) continue;
        const d = (await (await fetch(`${base}/api/v1/dispatches/${dispatchId}`, { headers })).json()) as { status: string; version: number };
        if (d.status === 'dispatched') await timed(headers, `/api/v1/dispatches/${dispatchId}/status`, { status: 'completed' }, { 'if-match': `"${d.version}"` });
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  let assignments = 0;
  for (const { slug } of tenants) {
    assignments += await withTenant(database.db, slug, async (tx) =>
      Number((await sql<{ n: number }>`select count(*)::int as n from dispatches where dispatched_at is not null`.execute(tx)).rows[0]?.n ?? 0),
    );
  }
  await app.close();
  await database.close();

  latencies.sort((a, b) => a - b);
  // pgbench on the same database, same client count.
  execFileSync('pgbench', ['-i', '-s', '10', '-q', url], { stdio: 'ignore' });
  const out = execFileSync('pgbench', ['-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS), url], { encoding: 'utf8' });
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? /tps = ([\d.]+)/.exec(out)?.[1] ?? 0);

  const rate = assignments / elapsed;
  console.log(`machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? ''}`);
  console.log(`clients: ${CLIENTS}, tenants: ${TENANTS}, duration: ${elapsed.toFixed(1)} s`);
  console.log(`assignments: ${assignments} (${rate.toFixed(1)} /s)`);
  console.log(`requests: ${requests} (${(requests / elapsed).toFixed(1)} /s), 5xx: ${errors}`);
  console.log(`request latency: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
  console.log(`pgbench TPC-B-like (-c ${CLIENTS} -j 2 -T ${SECONDS}): ${tps.toFixed(0)} TPS`);
  console.log(`dispatch rate / pgbench TPS: ${(rate / tps).toFixed(3)}`);
} finally {
  await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [dbName]);
  await admin.query(`drop database if exists ${dbName}`);
  await admin.end();
}
