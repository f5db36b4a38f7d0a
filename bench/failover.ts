// npm run drill:failover — automatic failover under dispatch load, with Debian's pg_auto_failover.
//   SECONDS_BEFORE=6 SECONDS_AFTER=6 CLIENTS=6 npm run drill:failover
// Starts a monitor, a primary and a synchronous standby (pg_autoctl, scratch ports 21101-21103, folders
// under /tmp), two Yardmaster instances on a multi-host DATABASE_URL, and dispatch load through both.
// Then kill -9 the primary node (its postmaster and its pg_autoctl keeper: a lost host), lets the
// monitor promote the standby, and prints the RTO (kill → first successful write), then checks on
// the new primary that every acknowledged write is there (RPO 0) and that no invariant broke.
// Stops everything it started; figures are printed last. Exit 1 when a check fails.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.js';
import { loadConfig } from '../apps/server/src/config.js';
import { migrations } from '../apps/server/src/migrations/index.js';
import { verifyAuditChain } from '../apps/server/src/modules/audit/index.js';
import { migrateAll, openDatabase, provisionTenant, withTenant, type Database } from '../apps/server/src/platform/db/index.js';
import { checkDispatchInvariants } from '../apps/server/test/support/dispatch-invariants.js';
import { buildFleet } from '../apps/server/test/support/fleet.js';
import { createTestIdentity } from '../apps/server/test/support/identity.js';
import {
  PG_BIN,
  asPostgres,
  clusterAt,
  mkdirOwned,
  scratchDir,
  sleep,
  startDaemon,
  waitFor,
  type Daemon,
} from '../apps/server/test/support/pg-cluster.js';

const CLIENTS = Number(process.env.CLIENTS ?? 6);
const SECONDS_BEFORE = Number(process.env.SECONDS_BEFORE ?? 6);
const SECONDS_AFTER = Number(process.env.SECONDS_AFTER ?? 6);
const DEADLINE_MS = Number(process.env.DRILL_TIMEOUT_MS ?? 240_000);
const [MONITOR_PORT, NODE1_PORT, NODE2_PORT] = [21101, 21102, 21103];
const slug = 'failover';

const root = scratchDir('failover');
const env = [
  `XDG_CONFIG_HOME=${mkdirOwned(path.join(root, 'config'))}`,
  `XDG_DATA_HOME=${mkdirOwned(path.join(root, 'share'))}`,
  `XDG_RUNTIME_DIR=${mkdirOwned(path.join(root, 'run'))}`,
];
const daemons: Daemon[] = [];
const autoctl = (args: string[]): Daemon => {
  const [cmd, argv] = asPostgres('env', [...env, 'pg_autoctl', ...args]);
  const daemon = startDaemon(cmd, argv);
  daemons.push(daemon);
  return daemon;
};
const monitorUri = `postgres://autoctl_node@127.0.0.1:${MONITOR_PORT}/pg_auto_failover?sslmode=disable`;
const common = ['--pgctl', `${PG_BIN}/pg_ctl`, '--hostname', '127.0.0.1', '--auth', 'trust', '--no-ssl'];
const local = ['--listen', '127.0.0.1'];

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

type NodeState = { nodename: string; nodeport: number; reportedstate: string; goalstate: string };
const nodes = (): Promise<NodeState[]> =>
  query<NodeState>(
    `postgres://postgres@127.0.0.1:${MONITOR_PORT}/pg_auto_failover`,
    'select nodename, nodeport, reportedstate, goalstate from pgautofailover.node order by nodeid',
  );
const stateOf = async (port: number): Promise<string | undefined> => {
  const n = (await nodes()).find((x) => x.nodeport === port);
  return n && n.reportedstate === n.goalstate ? n.reportedstate : undefined;
};

/** Every process below `pid` (pg_autoctl's supervisor, its services and PostgreSQL). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(
        readFileSync(`/proc/${entry}/stat`, 'utf8')
          .replace(/^.*\) /, '')
          .split(' ')[1],
      );
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const drillStarted = Date.now();
const failures: string[] = [];
const figures: string[] = [];
const apps: FastifyInstance[] = [];
const databases: Database[] = [];
const timeout = setTimeout(() => {
  console.error(`drill:failover: time bound of ${DEADLINE_MS} ms exceeded`);
  void cleanup().finally(() => process.exit(1));
}, DEADLINE_MS);

async function cleanup(): Promise<void> {
  for (const app of apps) await app.close().catch(() => undefined);
  for (const database of databases) await database.close().catch(() => undefined);
  for (const daemon of daemons.reverse()) await daemon.stop();
  for (const name of ['node1', 'node2', 'monitor']) {
    try {
      clusterAt(path.join(root, name), 0).stop('immediate');
    } catch {
      // not running
    }
  }
  rmSync(root, { recursive: true, force: true });
}

try {
  const t0 = Date.now();
  // 1. Monitor, then a primary, then a standby that pg_autoctl clones and makes synchronous.
  const monitor = autoctl([
    'create',
    'monitor',
    '--pgdata',
    path.join(root, 'monitor'),
    '--pgport',
    String(MONITOR_PORT),
    ...common,
    '--run',
  ]);
  await waitFor(
    `the monitor (${monitor.output().slice(-500)})`,
    async () => (await query(`postgres://postgres@127.0.0.1:${MONITOR_PORT}/pg_auto_failover`, 'select 1')).length === 1,
    60_000,
    250,
  );
  // Tight failure detection for the drill (defaults: 5 s checks, 20 s unhealthy, 30 s demote timeout).
  for (const [name, value] of Object.entries({
    health_check_period: 1000,
    health_check_timeout: 1000,
    health_check_max_retries: 1,
    health_check_retry_delay: 500,
    node_considered_unhealthy_timeout: 3000,
    primary_demote_timeout: 3000,
  })) {
    await query(`postgres://postgres@127.0.0.1:${MONITOR_PORT}/pg_auto_failover`, `alter system set pgautofailover.${name} = ${value}`);
  }
  await query(`postgres://postgres@127.0.0.1:${MONITOR_PORT}/pg_auto_failover`, 'select pg_reload_conf()');
  const node = (name: string, port: number): Daemon =>
    autoctl([
      'create',
      'postgres',
      '--pgdata',
      path.join(root, name),
      '--pgport',
      String(port),
      '--name',
      name,
      '--dbname',
      'yardmaster',
      '--monitor',
      monitorUri,
      ...common,
      ...local,
      '--run',
    ]);
  const monitorReady = Date.now();
  const node1 = node('node1', NODE1_PORT);
  await waitFor(`node1 primary (${node1.output().slice(-800)})`, async () => (await stateOf(NODE1_PORT)) === 'single', 90_000, 250);
  const node1Ready = Date.now();
  node('node2', NODE2_PORT);
  // pg_autoctl's pg_basebackup waits for a spread checkpoint (minutes on an idle primary): ask for an
  // immediate one, which completes the checkpoint in progress at once.
  await waitFor(
    'node2 secondary',
    async () => {
      await query(`postgres://postgres@127.0.0.1:${NODE1_PORT}/postgres`, 'checkpoint').catch(() => undefined);
      return (await stateOf(NODE2_PORT)) === 'secondary' && (await stateOf(NODE1_PORT)) === 'primary';
    },
    120_000,
    1_000,
  );
  const sync = await query<{ s: string }>(
    `postgres://postgres@127.0.0.1:${NODE1_PORT}/yardmaster`,
    `select current_setting('synchronous_standby_names') as s`,
  );
  const secs = (from: number, to: number): string => ((to - from) / 1000).toFixed(1);
  figures.push(
    `setup: monitor ${secs(t0, monitorReady)} s, primary ${secs(monitorReady, node1Ready)} s, synchronous standby ${secs(node1Ready, Date.now())} s (synchronous_standby_names = ${sync[0]?.s ?? '?'})`,
  );
  if (!sync[0]?.s) failures.push('the primary is not replicating synchronously');

  // 2. Yardmaster on a multi-host URL: two instances, each with its own pool.
  const url = `postgres://postgres@127.0.0.1:${NODE1_PORT},127.0.0.1:${NODE2_PORT}/yardmaster?target_session_attrs=read-write`;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    SEED_DEMO: 'false',
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: '8',
  });
  if (config.database.kind !== 'postgres') throw new Error('expected PostgreSQL');
  const setup = await openDatabase(config.database);
  databases.push(setup);
  await migrateAll(setup.db, migrations);
  await provisionTenant(setup.db, { slug, name: 'Failover Co', timeZone: 'UTC' }, migrations.tenant);
  const fleet = await buildFleet(setup, slug, {
    types: { VAN: [] },
    equipment: { VAN: 12 },
    drivers: Array.from({ length: 12 }, () => ({ quals: [] })),
  });
  const identity = await createTestIdentity();
  const bases: string[] = [];
  for (let i = 0; i < 2; i++) {
    const database = await openDatabase(config.database);
    databases.push(database);
    const app = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent', sweepIntervalMs: 2_000 });
    apps.push(app);
    bases.push(await app.listen({ host: '127.0.0.1', port: 0 }));
  }
  const headers = {
    authorization: `Bearer ${await identity.token({ roles: ['dispatcher'], tenant: slug })}`,
    'content-type': 'application/json',
  };

  // 3. Load: create work orders and complete what got dispatched, retrying whatever failed.
  const acknowledged = { workOrders: new Set<string>(), completed: new Set<string>() };
  let killedAt = 0;
  let firstWriteAfterKill = 0;
  let failedDuringOutage = 0;
  let running = true;
  // Only a request sent after the kill counts: one already in flight may still commit on the old
  // primary's orphaned backend in the moment before it notices its postmaster is gone.
  const written = (sentAt: number): void => {
    if (killedAt && sentAt > killedAt && !firstWriteAfterKill) firstWriteAfterKill = Date.now();
  };
  const client = async (c: number): Promise<void> => {
    const base = bases[c % bases.length] ?? '';
    const pending: string[] = [];
    while (running) {
      const sentAt = Date.now();
      try {
        const completing = pending[0];
        if (completing) {
          const d = (await (await fetch(`${base}/api/v1/dispatches/${completing}`, { headers })).json()) as {
            status?: string;
            version?: number;
          };
          if (d.status !== 'dispatched') {
            pending.shift();
            continue;
          }
          const res = await fetch(`${base}/api/v1/dispatches/${completing}/status`, {
            method: 'POST',
            headers: { ...headers, 'if-match': `"${d.version}"` },
            body: JSON.stringify({ status: 'completed' }),
          });
          if (res.status === 200) {
            acknowledged.completed.add(completing);
            pending.shift();
            written(sentAt);
          } else if (res.status >= 500) failedDuringOutage++;
          await res.arrayBuffer();
        } else {
          const res = await fetch(`${base}/api/v1/work-orders`, {
            method: 'POST',
            headers: { ...headers, 'idempotency-key': randomUUID() },
            body: JSON.stringify({
              siteId: fleet.siteId,
              description: `failover ${c}`,
              priority: 'standard',
              lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
            }),
          });
          if (res.status === 201) {
            const body = (await res.json()) as { id: string; dispatchIds: string[] };
            acknowledged.workOrders.add(body.id);
            pending.push(...body.dispatchIds);
            written(sentAt);
          } else {
            if (res.status >= 500) failedDuringOutage++;
            await res.arrayBuffer();
          }
        }
      } catch {
        failedDuringOutage++;
      }
      if (killedAt && !firstWriteAfterKill) await sleep(100);
    }
  };
  const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  await sleep(SECONDS_BEFORE * 1000);
  const before = acknowledged.workOrders.size;

  // 4. Lose the primary's host: kill -9 its keeper and postmaster together.
  const node1Pid = node1.child.pid ?? 0;
  const victims = [node1Pid, ...descendants(node1Pid)];
  const postmaster = clusterAt(path.join(root, 'node1'), NODE1_PORT).postmasterPid();
  killedAt = Date.now();
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (postmaster && !victims.includes(postmaster)) process.kill(postmaster, 'SIGKILL');
  let promotedAt = 0;
  await waitFor(
    'the monitor to promote node2',
    async () => {
      const ok = (await stateOf(NODE2_PORT)) === 'wait_primary' || (await stateOf(NODE2_PORT)) === 'primary';
      if (ok && !promotedAt) promotedAt = Date.now();
      return ok;
    },
    90_000,
    100,
  );
  await waitFor('a successful write after the kill', () => firstWriteAfterKill > 0, 60_000, 100);
  await sleep(SECONDS_AFTER * 1000);
  running = false;
  await load;
  for (const app of apps.splice(0)) await app.close();

  // 5. On the new primary, directly: every acknowledged write is there, every invariant holds.
  const check = await openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${NODE2_PORT}/yardmaster`, poolSize: 2 });
  databases.push(check);
  const recovery = await sql<{ r: boolean }>`select pg_is_in_recovery() as r`.execute(check.db);
  if (recovery.rows[0]?.r !== false) failures.push('node2 is not a primary');
  const present = await withTenant(check.db, slug, async (tx) => {
    const wo = await sql<{ id: string }>`select id from work_orders where id = any(${[...acknowledged.workOrders]}::uuid[])`.execute(tx);
    const done = await sql<{
      id: string;
    }>`select id from dispatches where status = 'completed' and id = any(${[...acknowledged.completed]}::uuid[])`.execute(tx);
    return { workOrders: wo.rows.length, completed: done.rows.length };
  });
  const lostWorkOrders = acknowledged.workOrders.size - present.workOrders;
  const lostCompletions = acknowledged.completed.size - present.completed;
  if (lostWorkOrders > 0 || lostCompletions > 0)
    failures.push(`acknowledged writes lost: ${lostWorkOrders} work orders, ${lostCompletions} completions`);
  const invariants = await checkDispatchInvariants(check, slug);
  if (invariants.violations.length > 0) failures.push(...invariants.violations);
  const chain = await verifyAuditChain(check.db, slug);
  if (!chain.ok) failures.push(`audit chain broken: ${JSON.stringify(chain)}`);

  const rto = (firstWriteAfterKill - killedAt) / 1000;
  if (rto > 30) failures.push(`RTO ${rto.toFixed(1)} s is above the 30 s aim`);
  figures.push(
    `load: ${CLIENTS} clients over 2 instances; ${before} work orders acknowledged before the kill, ${acknowledged.workOrders.size} in all, ${acknowledged.completed.size} completions`,
    `kill -9 of node1 (keeper + postmaster) → monitor promoted node2 after ${((promotedAt - killedAt) / 1000).toFixed(1)} s`,
    `requests failed during the outage (retried by the clients): ${failedDuringOutage}`,
    `acknowledged writes missing on the new primary: ${lostWorkOrders} work orders, ${lostCompletions} completions (RPO 0 when both are 0)`,
    `dispatch invariants: ${invariants.violations.length === 0 ? 'all hold' : `${invariants.violations.length} violated`} over ${invariants.dispatches} dispatches; audit chain: ${chain.ok ? 'intact' : 'BROKEN'}`,
    `RTO (kill → first successful write): ${rto.toFixed(1)} s`,
  );
} catch (error) {
  failures.push(`drill error: ${(error as Error).stack ?? String(error)}`);
  for (const d of daemons) console.error(d.output().slice(-2_000));
} finally {
  if (process.env.DRILL_VERBOSE) for (const d of daemons) console.error(d.output());
  clearTimeout(timeout);
  await cleanup();
}

console.log(
  `machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? ''}; pg_auto_failover (Debian postgresql-15-auto-failover)`,
);
for (const line of figures) console.log(line);
console.log(`drill time (start to clean-up done): ${((Date.now() - drillStarted) / 1000).toFixed(1)} s`);
if (failures.length > 0) {
  console.log(`FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('drill:failover passed');
process.exit(0);
