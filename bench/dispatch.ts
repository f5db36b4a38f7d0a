// npm run bench:dispatch — dispatch throughput against the local PostgreSQL, compared with pgbench's
// TPC-B-like TPS with the same client count on the same database IN THE SAME RUN (the machine is
// shared: only the ratio is comparable between runs). Not part of npm test. Creates a scratch
// database and drops it afterwards.
//   CLIENTS=8 SECONDS=20 TENANTS=1 FLEET=100 QUEUED=0 HISTORY=300 npm run bench:dispatch
// The server runs in this process; the load generator (bench/dispatch-load.ts) in a child process.
// Prints: serial create+assign latency, SQL statements per operation, Node and PostgreSQL CPU ms per
// assignment, assignments/s under load, pgbench TPS, and last `dispatch rate / pgbench TPS: X`.
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { buildApp } from '../apps/server/src/app.js';
import { loadConfig } from '../apps/server/src/config.js';
import { migrations } from '../apps/server/src/migrations/index.js';
import { advanceDispatch, createWorkOrder } from '../apps/server/src/modules/dispatch/index.js';
import { importEquipment } from '../apps/server/src/modules/fleet/index.js';
import { importDrivers } from '../apps/server/src/modules/people/index.js';
import { ensureMembership } from '../apps/server/src/modules/users/index.js';
import { migrateAll, openDatabase, provisionTenant, withTenant } from '../apps/server/src/platform/db/index.js';
import { buildFleet, dispatcherCaller } from '../apps/server/test/support/fleet.js';
import { createTestIdentity } from '../apps/server/test/support/identity.js';

const CLIENTS = Number(process.env.CLIENTS ?? 8);
const SECONDS = Number(process.env.SECONDS ?? 20);
const TENANTS = Number(process.env.TENANTS ?? 1);
/** Machines per tenant (drivers: 1.2 × as many); 100 by default. */
const FLEET = Number(process.env.FLEET ?? 100);
/** Requests waiting in each tenant's queue throughout (for a type whose only qualified drivers are off duty). */
const QUEUED = Number(process.env.QUEUED ?? 0);
const SERIAL_PAIRS = Number(process.env.SERIAL_PAIRS ?? 200);
/** Jobs each tenant has already done (created and completed) before the run; 300 by default. */
const HISTORY = Number(process.env.HISTORY ?? 300);
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `ym_bench_${randomBytes(4).toString('hex')}`;
const url = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);

// Every SQL statement the server sends (node-postgres: one statement per round trip).
let statements = 0;
// Statements sent on behalf of one HTTP request (its async context, after-commit NOTIFY included);
// the background workers' (push, sweeper, other tenants' pollers) are not counted against it.
const requestStatements = new AsyncLocalStorage<{ n: number }>();
// TRACE=1: time per statement shape during the serial phase, printed top 12 by total time.
const TRACE = process.env.TRACE === '1';
let tracing = false;
const traced = new Map<string, { n: number; ms: number }>();
// eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped and applied with its own `this` below
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  const inRequest = requestStatements.getStore();
  if (inRequest) inRequest.n++;
  const result = (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  if (TRACE && tracing && result instanceof Promise) {
    const start = performance.now();
    const first = args[0] as string | { text?: string };
    // One shape per statement: literals (the final write inlines its parameters) become '…'.
    const text = (typeof first === 'string' ? first : (first.text ?? ''))
      .replace(/E?'(?:[^']|'')*'/g, "'…'")
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 90);
    void result.then(
      () => {
        const t = traced.get(text) ?? { n: 0, ms: 0 };
        t.n++;
        t.ms += performance.now() - start;
        traced.set(text, t);
      },
      () => undefined,
    );
  }
  return result;
} as typeof pg.Client.prototype.query;

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${dbName}`);

/** CPU seconds (user + system) of each PostgreSQL backend serving our database, from /proc. */
const cpuOf = (pids: Map<number, number>, now: Map<number, number>): number =>
  [...now].reduce((sum, [pid, t]) => sum + t - (pids.get(pid) ?? 0), 0);
async function backendTicks(): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1`, [dbName]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      out.set(pid, (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100);
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

try {
  const database = await openDatabase({ kind: 'postgres', url, poolSize: CLIENTS + 4, preparedStatements: process.env.PREPARED !== '0' });
  await migrateAll(database.db, migrations);
  const tenants: Array<{ slug: string; siteId: string; typeIds: string[] }> = [];
  for (let t = 0; t < TENANTS; t++) {
    const slug = `bench${t}`;
    await provisionTenant(database.db, { slug, name: `Bench ${t}`, timeZone: 'UTC' }, migrations.tenant);
    const fleet = await buildFleet(database, slug, {
      types: { VAN: [], TRUCK: ['CDL'], CRANE: ['NCCCO'], EXC: ['CPCS'], TANKER: ['HAZMAT'] },
      equipment: { TANKER: 1 },
      drivers: [{ quals: ['HAZMAT'], onDuty: false }],
    });
    const caller = dispatcherCaller(slug);
    const mix = ['VAN', 'TRUCK', 'TRUCK', 'CRANE', 'EXC', 'EXC', 'VAN', 'TRUCK', 'EXC', 'VAN'];
    await withTenant(database.db, slug, async (tx) => {
      await importEquipment(
        tx,
        caller,
        Array.from({ length: FLEET }, (_, i) => ({
          assetTag: `B-${i}`,
          name: `Bench ${i}`,
          equipmentTypeId: fleet.typeIds[mix[i % mix.length] ?? 'VAN'] ?? '',
          home: null,
        })),
      );
      const quals: Record<string, string[]> = { VAN: [], TRUCK: ['CDL'], CRANE: ['NCCCO'], EXC: ['CPCS'] };
      await importDrivers(
        tx,
        caller,
        Array.from({ length: Math.round(FLEET * 1.2) }, (_, i) => ({
          name: `Driver ${i}`,
          employeeNo: null,
          phone: null,
          email: null,
          dutyStatus: 'on_duty' as const,
          qualifications: (quals[mix[i % mix.length] ?? 'VAN'] ?? []).map((code) => ({
            qualificationId: fleet.qualificationIds[code] ?? '',
            expiresAt: null,
          })),
        })),
      );
    });
    // Requests that wait throughout: the only HAZMAT holder is off duty.
    for (let left = QUEUED; left > 0; left -= 100) {
      await withTenant(database.db, slug, (tx) =>
        createWorkOrder(tx, caller, {
          siteId: fleet.siteId,
          description: 'waits',
          priority: 'urgent',
          lines: [{ equipmentTypeId: fleet.typeIds.TANKER ?? '', quantity: Math.min(100, left) }],
        }),
      );
    }
    // History, as a tenant at work has: HISTORY jobs created and completed through the use cases
    // (so the statistics the planner reads describe a table with finished dispatches, not an empty
    // one; an empty table analysed just before the run gets plans that scan it).
    for (let i = 0; i < HISTORY; i++) {
      const wo = await withTenant(database.db, slug, (tx) =>
        createWorkOrder(tx, caller, {
          siteId: fleet.siteId,
          description: 'history',
          priority: 'standard',
          lines: [{ equipmentTypeId: fleet.typeIds[['VAN', 'TRUCK', 'CRANE', 'EXC'][i % 4] ?? 'VAN'] ?? '', quantity: 1 }],
        }),
      );
      const dispatchId = wo.dispatchIds[0];
      if (wo.status === 'assigned' && dispatchId)
        await withTenant(database.db, slug, (tx) => advanceDispatch(tx, caller, dispatchId, undefined, { status: 'completed' }));
    }
    // A member, as in production (a stranger's every request would also try to bind an invitation).
    await ensureMembership(database.db, {
      tenantSlug: slug,
      subject: `bench-${slug}`,
      email: null,
      name: 'Bench dispatcher',
      roles: ['dispatcher'],
    });
    tenants.push({ slug, siteId: fleet.siteId, typeIds: ['VAN', 'TRUCK', 'CRANE', 'EXC'].map((c) => fleet.typeIds[c] ?? '') });
  }
  await admin.query(`vacuum analyze`).catch(() => undefined);
  const identity = await createTestIdentity();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    SEED_DEMO: 'false',
    RATE_LIMITS: 'off' /* measures dispatch, not the limits (bench/limits.ts) */,
  });
  const app = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent', sweepIntervalMs: 60_000 });
  // Statements per operation (the serial phase has one request in flight at a time).
  const perRoute = new Map<string, number>();
  const counters = new WeakMap<object, { n: number }>();
  app.addHook('onRequest', async (request) => {
    const counter = { n: 0 };
    counters.set(request, counter);
    requestStatements.enterWith(counter);
  });
  app.addHook('onResponse', async (request) => {
    const key = `${request.method} ${request.routeOptions.url ?? request.url}`;
    // A moment later: the after-commit NOTIFY of this request is sent on the next turn of the loop.
    await new Promise((resolve) => setTimeout(resolve, 5));
    perRoute.set(key, (perRoute.get(key) ?? 0) + (counters.get(request)?.n ?? 0));
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const tokens = await Promise.all(
    tenants.map((t) => identity.token({ roles: ['dispatcher'], tenant: t.slug, sub: `bench-${t.slug}` }, {}, { expiresIn: '1h' })),
  );

  const assignmentsSoFar = async (): Promise<number> => {
    let n = 0;
    for (const { slug } of tenants) {
      n += await withTenant(database.db, slug, async (tx) =>
        Number(
          (await sql<{ n: number }>`select count(*)::int as n from dispatches where dispatched_at is not null`.execute(tx)).rows[0]?.n ?? 0,
        ),
      );
    }
    return n;
  };

  const child = fork(fileURLToPath(new URL('./dispatch-load.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<(m: Record<string, unknown>) => void> = [];
  child.on('message', (m: Record<string, unknown>) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else messages.push(m);
  });
  const next = (): Promise<Record<string, unknown>> => {
    const queued = messages.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => waiters.push(resolve));
  };
  const expect = async (kind: string): Promise<Record<string, unknown>> => {
    const m = await next();
    if (m.kind === 'error') throw new Error(`load generator: ${String(m.message)}`);
    if (m.kind !== kind) throw new Error(`load generator said ${String(m.kind)}, expected ${kind}`);
    return m;
  };
  await expect('ready');
  child.send({
    base,
    tenants: tenants.map((t, i) => ({ token: tokens[i] ?? '', siteId: t.siteId, typeIds: t.typeIds })),
    clients: CLIENTS,
    seconds: SECONDS,
    serialPairs: SERIAL_PAIRS,
  });

  // Serial phase: statements and CPU per operation.
  await expect('serial:start');
  perRoute.clear();
  let assigned0 = await assignmentsSoFar();
  let cpu0 = process.cpuUsage();
  let pg0 = await backendTicks();
  tracing = true;
  child.send({ kind: 'go' });
  const serial = await expect('serial:end');
  tracing = false;
  const serialCpu = process.cpuUsage(cpu0);
  const serialPg = cpuOf(pg0, await backendTicks());
  const serialAssigned = (await assignmentsSoFar()) - assigned0;
  const creates = perRoute.get('POST /api/v1/work-orders') ?? 0;
  const completes = perRoute.get('POST /api/v1/dispatches/:id/status') ?? 0;
  const pairs = Number(serial.pairs);

  // Load phase.
  assigned0 = await assignmentsSoFar();
  cpu0 = process.cpuUsage();
  pg0 = await backendTicks();
  const statements0 = statements;
  child.send({ kind: 'go' });
  const load = await expect('load:end');
  const loadCpu = process.cpuUsage(cpu0);
  const loadPg = cpuOf(pg0, await backendTicks());
  const loadStatements = statements - statements0;
  const assignments = (await assignmentsSoFar()) - assigned0;
  const floorCpu0 = process.cpuUsage();
  child.send({ kind: 'go' });
  const floor = await expect('floor:end');
  const floorCpu = process.cpuUsage(floorCpu0);
  child.kill();
  await app.close();
  await database.close();

  // pgbench on the same database, same client count, right after.
  execFileSync('pgbench', ['-i', '-s', '10', '-q', url], { stdio: 'ignore' });
  const out = execFileSync('pgbench', ['-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS), url], { encoding: 'utf8' });
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? /tps = ([\d.]+)/.exec(out)?.[1] ?? 0);

  const seconds = Number(load.seconds);
  const rate = assignments / seconds;
  const ms = (micro: { user: number; system: number }, n: number): string =>
    ((micro.user + micro.system) / 1000 / Math.max(1, n)).toFixed(2);
  const load1 = os.loadavg()[0]?.toFixed(1) ?? '?';
  console.log(
    `machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? ''}; load average ${load1} (shared: compare ratios, not absolutes)`,
  );
  console.log(
    `tenants: ${TENANTS}, clients: ${CLIENTS}, fleet: ${FLEET} machines + ${Math.round(FLEET * 1.2)} drivers per tenant, queued throughout: ${QUEUED} per tenant, history: ${HISTORY} jobs done per tenant`,
  );
  console.log(
    `serial (1 client, ${pairs} pairs): create+assign p50 ${Number(serial.createP50).toFixed(2)} ms, p99 ${Number(serial.createP99).toFixed(2)} ms; complete p50 ${Number(serial.completeP50).toFixed(2)} ms`,
  );
  console.log(
    `statements per operation: create+assign ${(creates / pairs).toFixed(1)}, complete ${(completes / pairs).toFixed(1)}, create+complete pair ${((creates + completes) / pairs).toFixed(1)} (BEGIN/COMMIT included)`,
  );
  console.log(
    `serial CPU per assignment: Node ${ms(serialCpu, serialAssigned)} ms, PostgreSQL ${((serialPg * 1000) / Math.max(1, serialAssigned)).toFixed(2)} ms`,
  );
  console.log(
    `load (${CLIENTS} clients, ${seconds.toFixed(1)} s): ${assignments} assignments (${rate.toFixed(1)} /s), ${Number(load.requests)} timed requests, 5xx: ${Number(load.errors)}, p50 ${Number(load.p50).toFixed(1)} ms, p99 ${Number(load.p99).toFixed(1)} ms`,
  );
  console.log(
    `load CPU per assignment: Node ${ms(loadCpu, assignments)} ms, PostgreSQL ${((loadPg * 1000) / Math.max(1, assignments)).toFixed(2)} ms; statements per assignment ${(loadStatements / Math.max(1, assignments)).toFixed(1)}`,
  );
  if (TRACE)
    for (const [text, t] of [...traced].sort((x, y) => y[1].ms - x[1].ms).slice(0, 12))
      console.log(`  ${(t.ms / t.n).toFixed(2)} ms × ${t.n}  ${text}`);
  const floorRate = Number(floor.pairs) / Number(floor.seconds);
  console.log(
    `HTTP floor (3 × GET /healthz per pair, same clients, no database): ${floorRate.toFixed(0)} pairs/s, Node ${ms(floorCpu, Number(floor.pairs))} ms CPU per pair`,
  );
  console.log(`pgbench TPC-B-like (-c ${CLIENTS} -j 2 -T ${SECONDS}): ${tps.toFixed(0)} TPS`);
  console.log(`dispatch rate / pgbench TPS: ${(rate / tps).toFixed(3)}`);
} finally {
  await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [dbName]);
  await admin.query(`drop database if exists ${dbName}`);
  await admin.end();
}
