/**
 * Board benchmark: N people (dispatchers and drivers) spread over several tenants, on PostgreSQL.
 *
 *   npm run bench:board                                   # N = 100, 1000, 3000; 4 tenants; 30 s each
 *   npm run bench:board -- --people 1000 --seconds 60 --instances 2 --tenants 4 --loaders 2
 *
 * - The server runs in its own process (or `--instances` processes on ports 22000+, clients spread
 *   over them round-robin, as a proxy would); the load generator runs in `--loaders` other processes.
 *   So the server's CPU per request is its own.
 * - Every person holds a live stream (`GET /api/v1/events`): dispatchers see the tenant's events,
 *   drivers their own. A fifth of the people are dispatchers: each reads the board every 5 s (with
 *   `If-None-Match`, as a client that keeps its copy does) and a resource list (equipment or
 *   drivers, 50 rows) every 20 s. Drivers read their dispatches every 15 s and move their job one
 *   step on (`en_route`, `on_site`, `returning`, `completed`) once it has stood 30 s. One dispatcher
 *   per tenant creates work orders: 2 per second per 1,000 people overall.
 * - Each N runs on fresh tenants (drivers = people − dispatchers, equipment = half the drivers).
 * - Event delivery = client receipt − the event's `occurredAt` (the writing transaction's start,
 *   so it includes the write itself): an upper bound of commit → screen.
 * - Server CPU per request = the server processes' user + system CPU over the window ÷ HTTP requests
 *   answered in the window (live streams' writes included in the CPU, not in the count).
 *
 * - `--proxy`: the clients go through HAProxy with `deploy/haproxy/haproxy.cfg` (round robin over the
 *   instances, health checks on /readyz) instead of straight to the instances; needs `haproxy`.
 * - `--cpu-per-instance 0.5`: caps each server process at that fraction of one core (a Linux cgroup
 *   CPU quota; needs root), so on a shared machine each instance has a fixed CPU budget, as on
 *   hosts of its own size: what one instance saturates at, and whether two double it, is then a
 *   property of the instances, not of whatever else the machine runs.
 *
 * BENCH_PROFILE=<dir> writes a V8 CPU profile of each server process (open it in Chrome DevTools).
 * PostgreSQL: BENCH_POSTGRES_URL (or TEST_POSTGRES_URL), default postgres://postgres@127.0.0.1:5432/postgres.
 * Creates a scratch database and drops it afterwards. Needs ulimit -n above 2 × people.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, type JWK } from 'jose';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.js';
import { loadConfig } from '../apps/server/src/config.js';
import { migrations } from '../apps/server/src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant } from '../apps/server/src/platform/db/index.js';
import { buildFleet } from '../apps/server/test/support/fleet.js';
import { TEST_AUDIENCE, TEST_CLIENT, TEST_ISSUER, createTestIdentity } from '../apps/server/test/support/identity.js';
import { dropTenantRolesOf } from '../apps/server/test/support/tenant-roles.js';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BASE_PORT = Number(process.env.BENCH_PORT ?? 22000);
const self = fileURLToPath(import.meta.url);
/** Tenant slugs (and so database roles, which are cluster-wide) unique to this run. */
const RUN = randomBytes(3).toString('hex');

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

type Person = { role: 'dispatcher' | 'driver'; token: string; instance: number; writer: boolean; typeIds: string[]; siteId: string };
type Sample = {
  board: number[];
  resources: number[];
  mine: number[];
  writes: number[];
  delivery: number[];
  requests: number;
  errors: number;
  notModified: number;
  streams: number;
};
type ToLoader = { kind: 'start'; people: Person[]; urls: string[]; seconds: number; orderEveryMs: number } | { kind: 'stop' };
type FromLoader = { kind: 'connected'; streams: number; failed: number } | { kind: 'result'; sample: Sample };
type ToServer = { kind: 'cpu' };
type FromServer = { kind: 'ready' } | { kind: 'cpu'; user: number; system: number; requests: number; rss: number };

// ---------------------------------------------------------------- server process
async function serverMain(): Promise<void> {
  const { url, port, jwk } = JSON.parse(arg('--server', '{}')) as { url: string; port: number; jwk: JWK };
  const database = await openDatabase({ kind: 'postgres', url, poolSize: Number(process.env.BENCH_POOL ?? 10) });
  const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'production', SEED_DEMO: 'false' });
  const trustedIssuer = {
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    keys: createLocalJWKSet({ keys: [jwk] }),
    tenantClaim: 'org',
    clientId: TEST_CLIENT,
  };
  const app = await buildApp({ config, database, trustedIssuer, webDir: '/nonexistent' });
  let requests = 0;
  app.addHook('onResponse', async () => {
    requests++;
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.on('message', (message: ToServer) => {
    if (message.kind === 'cpu') {
      const cpu = process.cpuUsage();
      process.send?.({ kind: 'cpu', user: cpu.user, system: cpu.system, requests, rss: process.memoryUsage().rss } satisfies FromServer);
    }
  });
  process.on(
    'disconnect',
    () =>
      void app
        .close()
        .then(() => database.close())
        .finally(() => process.exit(0)),
  );
  process.send?.({ kind: 'ready' } satisfies FromServer);
}

// ---------------------------------------------------------------- load generator process
function loaderMain(): void {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const sample: Sample = {
    board: [],
    resources: [],
    mine: [],
    writes: [],
    delivery: [],
    requests: 0,
    errors: 0,
    notModified: 0,
    streams: 0,
  };
  let measuring = false;
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  const streams: http.ClientRequest[] = [];

  function call(
    base: string,
    token: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string; etag: string | undefined; ms: number }> {
    const started = performance.now();
    return new Promise((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        `${base}${path}`,
        {
          method,
          agent,
          headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            const ms = performance.now() - started;
            if (measuring) {
              sample.requests++;
              if ((response.statusCode ?? 0) >= 500 || response.statusCode === 429) sample.errors++;
            }
            resolve({ status: response.statusCode ?? 0, text, etag: response.headers.etag, ms });
          });
        },
      );
      request.on('error', () => {
        if (measuring) sample.errors++;
        resolve({ status: 0, text: '', etag: undefined, ms: performance.now() - started });
      });
      request.end(payload);
    });
  }

  function openStream(base: string, token: string): Promise<boolean> {
    return new Promise((resolve) => {
      const request = http.get(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } }, (response) => {
        resolve(response.statusCode === 200);
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          const at = Date.now();
          buffer += chunk;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const occurred = /"occurredAt":"([^"]+)"/.exec(block)?.[1];
            if (occurred && measuring) sample.delivery.push(at - Date.parse(occurred));
          }
        });
      });
      request.on('error', () => resolve(false));
      streams.push(request);
    });
  }

  /** Runs `tick` every `everyMs`, first after a random fraction of it (people do not act in step). */
  function every(everyMs: number, tick: () => Promise<void>): void {
    const loop = (): void => {
      if (stopped) return;
      void tick().finally(() => timers.push(setTimeout(loop, everyMs * (0.8 + Math.random() * 0.4))));
    };
    timers.push(setTimeout(loop, Math.random() * everyMs));
  }

  function dispatcher(base: string, person: Person, orderEveryMs: number): void {
    let etag: string | undefined;
    every(5_000, async () => {
      const r = await call(base, person.token, 'GET', '/api/v1/board', undefined, etag ? { 'if-none-match': etag } : {});
      if (r.status === 200 || r.status === 304) etag = r.etag;
      if (measuring) {
        sample.board.push(r.ms);
        if (r.status === 304) sample.notModified++;
      }
    });
    let flip = false;
    every(20_000, async () => {
      flip = !flip;
      const r = await call(base, person.token, 'GET', flip ? '/api/v1/equipment?limit=50' : '/api/v1/drivers?limit=50');
      if (measuring) sample.resources.push(r.ms);
    });
    if (person.writer && orderEveryMs > 0) {
      let n = 0;
      every(orderEveryMs, async () => {
        const typeId = person.typeIds[n++ % person.typeIds.length] ?? '';
        const r = await call(base, person.token, 'POST', '/api/v1/work-orders', {
          siteId: person.siteId,
          description: 'bench',
          priority: n % 10 === 0 ? 'urgent' : 'standard',
          lines: [{ equipmentTypeId: typeId, quantity: 1 }],
        });
        if (measuring) sample.writes.push(r.ms);
      });
    }
  }

  const NEXT: Record<string, string> = { dispatched: 'en_route', en_route: 'on_site', on_site: 'returning', returning: 'completed' };
  function driver(base: string, person: Person): void {
    let since = new Map<string, number>();
    every(15_000, async () => {
      const r = await call(base, person.token, 'GET', '/api/v1/me/dispatches?limit=5');
      if (measuring) sample.mine.push(r.ms);
      if (r.status !== 200) return;
      const items = (JSON.parse(r.text) as { items: Array<{ id: string; status: string; version: number }> }).items;
      const job = items.find((d) => NEXT[d.status]);
      if (!job) return;
      const key = `${job.id}:${job.status}`;
      const seen = since.get(key);
      if (seen === undefined) {
        since = new Map([[key, Date.now()]]);
        return;
      }
      if (Date.now() - seen < 30_000) return;
      const w = await call(
        base,
        person.token,
        'POST',
        `/api/v1/dispatches/${job.id}/status`,
        { status: NEXT[job.status] },
        { 'if-match': `"${job.version}"` },
      );
      if (measuring) sample.writes.push(w.ms);
    });
  }

  process.on('message', (message: ToLoader) => {
    if (message.kind === 'start') {
      void (async () => {
        let failed = 0;
        // Open the streams in waves, so the server is not handed every handshake at once.
        for (let i = 0; i < message.people.length; i += 100) {
          const wave = message.people.slice(i, i + 100);
          const opened = await Promise.all(wave.map((p) => openStream(message.urls[p.instance] ?? '', p.token)));
          for (const ok of opened)
            if (ok) sample.streams++;
            else failed++;
        }
        process.send?.({ kind: 'connected', streams: sample.streams, failed } satisfies FromLoader);
        for (const p of message.people) {
          const base = message.urls[p.instance] ?? '';
          if (p.role === 'dispatcher') dispatcher(base, p, message.orderEveryMs);
          else driver(base, p);
        }
        // Warm-up: one full cycle of every person's reads, then measure.
        await new Promise((resolve) => setTimeout(resolve, 6_000));
        measuring = true;
      })();
    } else {
      measuring = false;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      process.send?.({ kind: 'result', sample } satisfies FromLoader, () => {
        for (const s of streams) s.destroy();
        agent.destroy();
        process.exit(0);
      });
    }
  });
}

// ---------------------------------------------------------------- orchestration
function next<T extends { kind: string }, K extends T['kind']>(child: ChildProcess, kind: K): Promise<Extract<T, { kind: K }>> {
  return new Promise((resolve) => {
    const onMessage = (message: T): void => {
      if (message.kind !== kind) return;
      child.off('message', onMessage);
      resolve(message as Extract<T, { kind: K }>);
    };
    child.on('message', onMessage);
  });
}

const PROXY_PORT = BASE_PORT + 100;
const proxyFall = Number(arg('--proxy-fall', '0'));

/** Starts HAProxy with the deployment's configuration in front of `ports`; resolves once it answers. */
async function startProxy(ports: number[]): Promise<ChildProcess> {
  const source = fileURLToPath(new URL('../deploy/haproxy/haproxy.cfg', import.meta.url));
  // The deployment's file as it is, but for the connection cap (one per person's stream plus the
  // loaders' pools; HAProxy needs two descriptors per connection, within `ulimit -n`) and, with
  // `--proxy-fall N`, the failed health checks that take an instance out (the file's `fall 1` marks
  // an instance at its CPU budget down on one /readyz slower than `inter`: 503s with both down).
  const config = `${os.tmpdir()}/ym-bench-haproxy-${RUN}.cfg`;
  let text = fs.readFileSync(source, 'utf8').replace(/maxconn \d+/, 'maxconn 9000');
  if (proxyFall > 0) text = text.replace(/fall \d+/, `fall ${proxyFall}`);
  fs.writeFileSync(config, text);
  const servers = Object.fromEntries([0, 1, 2].map((i) => [`YM_SERVER_${i + 1}`, `127.0.0.1:${ports[i] ?? 1}`]));
  const proxy = spawn('haproxy', ['-db', '-f', config], {
    env: { ...process.env, YM_LISTEN: `127.0.0.1:${PROXY_PORT}`, ...servers },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Health checks run every second (fall 1, rise 2): wait until the unused slots are down and the instances up.
  await new Promise((resolve) => setTimeout(resolve, 3_500));
  if (proxy.exitCode !== null) throw new Error(`haproxy exited (${proxy.exitCode})`);
  return proxy;
}

/** Caps processes at `fraction` of one core together with a cgroup CPU quota (v2 or v1); returns the clean-up. */
function capCpu(pids: number[], fraction: number, name: string): () => void {
  const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? `/sys/fs/cgroup/${name}` : `/sys/fs/cgroup/cpu/${name}`;
  fs.mkdirSync(dir);
  const period = 100_000;
  if (v2) fs.writeFileSync(`${dir}/cpu.max`, `${Math.round(fraction * period)} ${period}`);
  else {
    fs.writeFileSync(`${dir}/cpu.cfs_period_us`, String(period));
    fs.writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.round(fraction * period)));
  }
  // A budget, not only a ceiling: on a busy machine the instance gets its share before others' tasks.
  if (v2) fs.writeFileSync(`${dir}/cpu.weight`, '1000');
  else fs.writeFileSync(`${dir}/cpu.shares`, '10240');
  for (const pid of pids) fs.writeFileSync(`${dir}/cgroup.procs`, String(pid));
  return () => {
    try {
      fs.rmdirSync(dir);
    } catch (error) {
      console.error(`bench:board: could not remove cgroup ${dir}: ${String(error)}`);
    }
  };
}

const pct = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');

async function runPhase(
  database: Awaited<ReturnType<typeof openDatabase>>,
  identity: Awaited<ReturnType<typeof createTestIdentity>>,
  people: number,
  options: {
    tenants: number;
    seconds: number;
    instances: number;
    loaders: number;
    url: string;
    phase: number;
    proxy: boolean;
    cpuPerInstance: number;
  },
): Promise<void> {
  const perTenant = Math.ceil(people / options.tenants);
  const dispatchers = Math.max(1, Math.round(perTenant / 5));
  const drivers = Math.max(1, perTenant - dispatchers);
  const everyone: Person[] = [];
  const setupStart = Date.now();
  for (let t = 0; t < options.tenants; t++) {
    const slug = `brd${RUN}p${options.phase}t${t}`;
    await provisionTenant(database.db, { slug, name: `Board ${t}`, timeZone: 'Europe/London' }, migrations.tenant);
    const perType = Math.max(1, Math.round(drivers / 2 / 4));
    const fleet = await buildFleet(database, slug, {
      types: { VAN: [], TRUCK: [], CRANE: [], EXC: [] },
      equipment: { VAN: perType, TRUCK: perType, CRANE: perType, EXC: perType },
      drivers: Array.from({ length: drivers }, () => ({ quals: [] })),
    });
    const typeIds = Object.values(fleet.typeIds);
    for (let i = 0; i < dispatchers; i++) {
      const token = await identity.token({ roles: ['dispatcher'], tenant: slug }, {}, { expiresIn: '2h' });
      everyone.push({ role: 'dispatcher', token, instance: 0, writer: i === 0, typeIds, siteId: fleet.siteId });
    }
    for (const subject of fleet.driverSubjects) {
      const token = await identity.token({ roles: ['driver'], tenant: slug, sub: subject }, {}, { expiresIn: '2h' });
      everyone.push({ role: 'driver', token, instance: 0, writer: false, typeIds, siteId: fleet.siteId });
    }
  }
  everyone.forEach((p, i) => (p.instance = i % options.instances));
  // 2 work orders per second per 1,000 people, spread over the tenants' writers.
  const orderEveryMs = Math.round((1000 * options.tenants) / ((2 * everyone.length) / 1000));
  console.log(
    `\nN = ${everyone.length}: ${options.tenants} tenants × (${dispatchers} dispatchers + ${drivers} drivers); set up in ${((Date.now() - setupStart) / 1000).toFixed(0)} s`,
  );

  const servers: ChildProcess[] = [];
  const uncap: Array<() => void> = [];
  let proxy: ChildProcess | null = null;
  const loaders: ChildProcess[] = [];
  try {
    for (let i = 0; i < options.instances; i++) {
      // BENCH_PROFILE=<dir>: each server writes a V8 CPU profile there when it exits.
      const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
      const child = fork(self, ['--server', JSON.stringify({ url: options.url, port: BASE_PORT + i, jwk: identity.publicJwk })], {
        execArgv: ['--import', 'tsx', ...profile],
        stdio: 'inherit',
      });
      servers.push(child);
      await next<FromServer, 'ready'>(child, 'ready');
      if (options.cpuPerInstance > 0 && child.pid)
        uncap.push(capCpu([child.pid], options.cpuPerInstance, `ym-bench-${RUN}-p${options.phase}-${i}`));
    }
    const ports = servers.map((_, i) => BASE_PORT + i);
    if (options.proxy) {
      proxy = await startProxy(ports);
      for (const p of everyone) p.instance = 0;
    }
    const urls = options.proxy ? [`http://127.0.0.1:${PROXY_PORT}`] : ports.map((port) => `http://127.0.0.1:${port}`);
    console.log(
      `clients → ${options.proxy ? `HAProxy (deploy/haproxy/haproxy.cfg) at ${urls[0]} → ` : ''}${ports.length} instance(s)${options.cpuPerInstance > 0 ? `, each capped at ${options.cpuPerInstance} of a core` : ''}`,
    );
    for (let i = 0; i < options.loaders; i++) loaders.push(fork(self, ['--loader'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }));
    // With budgets for the servers, the load generator gets one too (one core for all loaders),
    // so a starved client does not pass for a slow server.
    if (options.cpuPerInstance > 0)
      uncap.push(
        capCpu(
          loaders.flatMap((l) => (l.pid ? [l.pid] : [])),
          1,
          `ym-bench-${RUN}-p${options.phase}-loaders`,
        ),
      );
    const connectStart = Date.now();
    const connected = loaders.map((l) => next<FromLoader, 'connected'>(l, 'connected'));
    loaders.forEach((l, i) =>
      l.send({
        kind: 'start',
        people: everyone.filter((_, j) => j % options.loaders === i),
        urls,
        seconds: options.seconds,
        orderEveryMs,
      } satisfies ToLoader),
    );
    const opened = await Promise.all(connected);
    const streams = opened.reduce((s, o) => s + o.streams, 0);
    console.log(
      `live streams: ${streams} open, ${opened.reduce((s, o) => s + o.failed, 0)} failed, in ${((Date.now() - connectStart) / 1000).toFixed(1)} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, 6_000)); // the loaders' warm-up
    const cpu = async () =>
      Promise.all(
        servers.map(async (s) => {
          const reply = next<FromServer, 'cpu'>(s, 'cpu');
          s.send({ kind: 'cpu' } satisfies ToServer);
          return reply;
        }),
      );
    const before = await cpu();
    const loadBefore = os.loadavg()[0] ?? 0;
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
    const after = await cpu();
    const window = (Date.now() - started) / 1000;
    const results = await Promise.all(
      loaders.map((l) => {
        const reply = next<FromLoader, 'result'>(l, 'result');
        l.send({ kind: 'stop' } satisfies ToLoader);
        return reply;
      }),
    );
    const merged = results
      .map((r) => r.sample)
      .reduce((a, b) => ({
        board: a.board.concat(b.board),
        resources: a.resources.concat(b.resources),
        mine: a.mine.concat(b.mine),
        writes: a.writes.concat(b.writes),
        delivery: a.delivery.concat(b.delivery),
        requests: a.requests + b.requests,
        errors: a.errors + b.errors,
        notModified: a.notModified + b.notModified,
        streams: a.streams + b.streams,
      }));
    const cpuMs = after.reduce((s, a, i) => s + (a.user + a.system - ((before[i]?.user ?? 0) + (before[i]?.system ?? 0))) / 1000, 0);
    const served = after.reduce((s, a, i) => s + a.requests - (before[i]?.requests ?? 0), 0);
    const line = (name: string, values: number[]): void => {
      const sorted = [...values].sort((a, b) => a - b);
      console.log(
        `  ${name.padEnd(28)} n=${String(sorted.length).padStart(6)}  p50 ${fmt(pct(sorted, 0.5)).padStart(7)} ms  p99 ${fmt(pct(sorted, 0.99)).padStart(7)} ms  p99.9 ${fmt(pct(sorted, 0.999)).padStart(7)} ms`,
      );
    };
    console.log(
      `window ${window.toFixed(1)} s; ${served} requests answered (${(served / window).toFixed(0)}/s), ${merged.errors} errors (5xx/429/refused), ${merged.notModified} board 304s; load average ${loadBefore.toFixed(1)} → ${(os.loadavg()[0] ?? 0).toFixed(1)}`,
    );
    line('board read (200 or 304)', merged.board);
    line('resource list read', merged.resources);
    line('driver: my dispatches', merged.mine);
    line('all reads', [...merged.board, ...merged.resources, ...merged.mine]);
    line('writes (orders, status)', merged.writes);
    line('event delivery (write→screen)', merged.delivery);
    console.log(
      `  server CPU: ${(cpuMs / window / 10).toFixed(0)}% of one core over ${options.instances} instance(s); ${(cpuMs / Math.max(1, served)).toFixed(2)} ms CPU per request; RSS ${after.map((a) => `${(a.rss / 2 ** 20).toFixed(0)} MiB`).join(', ')}`,
    );
    console.log(
      `  per instance: ${after.map((a, i) => `${a.requests - (before[i]?.requests ?? 0)} requests, ${((a.user + a.system - ((before[i]?.user ?? 0) + (before[i]?.system ?? 0))) / 1000 / window / 10).toFixed(0)}% of a core`).join('; ')}`,
    );
  } finally {
    for (const l of loaders) l.kill();
    proxy?.kill();
    for (const s of servers) s.disconnect();
    await Promise.all(
      [...servers, ...loaders].map(
        (s) => new Promise((resolve) => (s.exitCode !== null || s.signalCode !== null ? resolve(null) : s.once('exit', resolve))),
      ),
    );
    for (const u of uncap) u();
  }
}

async function main(): Promise<void> {
  const sizes = arg('--people', '100,1000,3000')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  const options = {
    tenants: Number(arg('--tenants', '4')),
    seconds: Number(arg('--seconds', '30')),
    instances: Number(arg('--instances', '1')),
    loaders: Number(arg('--loaders', '2')),
    proxy: process.argv.includes('--proxy'),
    cpuPerInstance: Number(arg('--cpu-per-instance', '0')),
  };
  const name = `ym_bench_board_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 4 });
  console.log(
    `bench:board — machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? ''}), ${Math.round(os.totalmem() / 2 ** 30)} GiB; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `${options.instances} server instance(s)${options.proxy ? ' behind HAProxy' : ''}, ${options.loaders} load processes, ${options.seconds} s measured per N`,
  );
  try {
    await migrateAll(database.db, migrations);
    const identity = await createTestIdentity();
    let phase = 0;
    for (const people of sizes) await runPhase(database, identity, people, { ...options, url, phase: phase++ });
  } finally {
    await database.close();
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
    await admin.query(`drop database if exists ${name}`);
    await dropTenantRolesOf(admin, name);
    await admin.end();
  }
}

if (process.argv.includes('--server')) {
  void serverMain();
} else if (process.argv.includes('--loader')) {
  loaderMain();
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
