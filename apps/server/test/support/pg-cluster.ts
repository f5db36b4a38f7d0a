import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Scratch PostgreSQL clusters and Debian daemons (pgBouncer, HAProxy, pg_autoctl) for the growth-path
 * tests and drills: folders under /tmp, ports from the caller, never the shared local server.
 * PostgreSQL and pgBouncer refuse to run as root, so when we are root they run as the `postgres`
 * OS user (`runuser`), in folders it owns.
 */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('no `postgres` OS user: install PostgreSQL from Debian (apt-get install postgresql)');
  return { uid: Number(uid), gid: Number(gid) };
}

/** argv that runs `command` as the postgres OS user when we are root, else as ourselves. */
export function asPostgres(command: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export function runAsPostgres(command: string, args: string[], options: { input?: string } = {}): string {
  const [cmd, argv] = asPostgres(command, args);
  return execFileSync(cmd, argv, { encoding: 'utf8', input: options.input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A new empty folder under /tmp owned by the postgres OS user (mode 0700, as initdb wants). */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `ym-${prefix}-`));
  if (isRoot) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  return dir;
}

/** Writes a file the postgres OS user can read (config files for the daemons). */
export function writeOwned(file: string, text: string): void {
  writeFileSync(file, text);
  if (isRoot) {
    const { uid, gid } = postgresIds();
    chownSync(file, uid, gid);
  }
}

/** Gives a copied tree to the postgres OS user (a data folder copied by root). */
export function ownRecursively(dir: string): void {
  if (isRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
}

export function mkdirOwned(dir: string): string {
  mkdirSync(dir, { recursive: true });
  if (isRoot) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  return dir;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type ScratchCluster = {
  dir: string;
  port: number;
  url: (database?: string) => string;
  start: () => void;
  stop: (mode?: 'fast' | 'immediate') => void;
  /** The postmaster's process id (from postmaster.pid), or undefined when it is not running. */
  postmasterPid: () => number | undefined;
  log: () => string;
};

/** A cluster handle for a data folder (made by initdb or pg_basebackup). */
export function clusterAt(dir: string, port: number): ScratchCluster {
  const ctl = (args: string[]): void => {
    runAsPostgres(`${PG_BIN}/pg_ctl`, ['-D', dir, ...args]);
  };
  return {
    dir,
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: () => ctl(['-l', path.join(dir, 'server.log'), '-o', `-p ${port} -k ${dir}`, '-w', '-t', '60', 'start']),
    stop: (mode = 'fast') => {
      if (existsSync(path.join(dir, 'postmaster.pid'))) ctl(['-m', mode, '-w', 'stop']);
    },
    postmasterPid: () => {
      try {
        return Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      } catch {
        return undefined;
      }
    },
    log: () => {
      try {
        return readFileSync(path.join(dir, 'server.log'), 'utf8');
      } catch {
        return '';
      }
    },
  };
}

/** initdb a scratch cluster (trust auth, local only) with extra postgresql.conf lines, and start it. */
export function createCluster(options: { port: number; conf?: Record<string, string | number>; prefix?: string }): ScratchCluster {
  const dir = scratchDir(options.prefix ?? 'pg');
  runAsPostgres(`${PG_BIN}/initdb`, ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C.UTF-8']);
  const conf = {
    listen_addresses: "'127.0.0.1'",
    fsync: 'off',
    max_connections: 60,
    shared_buffers: "'32MB'",
    wal_level: 'replica',
    max_wal_senders: 5,
    hot_standby: 'on',
    ...options.conf,
  };
  writeOwned(
    path.join(dir, 'postgresql.auto.conf'),
    Object.entries(conf)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') + '\n',
  );
  writeOwned(
    path.join(dir, 'pg_hba.conf'),
    'local all all trust\nhost all all 127.0.0.1/32 trust\nlocal replication all trust\nhost replication all 127.0.0.1/32 trust\n',
  );
  const cluster = clusterAt(dir, options.port);
  cluster.start();
  return cluster;
}

/** A streaming standby of `primary`, made with pg_basebackup -R, started on `port`. */
export function createStandby(primary: ScratchCluster, port: number): ScratchCluster {
  const dir = scratchDir('standby');
  runAsPostgres(`${PG_BIN}/pg_basebackup`, ['-d', primary.url(), '-D', dir, '-R', '-X', 'stream', '-c', 'fast']);
  const standby = clusterAt(dir, port);
  standby.start();
  return standby;
}

export function removeCluster(cluster: ScratchCluster | undefined): void {
  if (!cluster) return;
  try {
    cluster.stop('immediate');
  } catch {
    // already stopped (or killed by a drill)
  }
  rmSync(cluster.dir, { recursive: true, force: true });
}

export type Daemon = { child: ChildProcess; output: () => string; stop: () => Promise<void> };

/** Starts a long-running program (as postgres when `asPg`), keeping its output for diagnostics. */
export function startDaemon(command: string, args: string[], options: { asPg?: boolean; env?: NodeJS.ProcessEnv } = {}): Daemon {
  const [cmd, argv] = options.asPg ? asPostgres(command, args) : [command, args];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Waits until `probe` resolves true, or throws after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../..');
export const deployFile = (name: string): string => path.join(REPO_ROOT, 'deploy', name);

export type PgBouncer = Daemon & { port: number; url: (database: string) => string; admin: () => string; dir: string };

/**
 * pgBouncer from Debian on `port`, in front of `backend` (host:port), with deploy/pgbouncer/pgbouncer.ini
 * copied in as it is; `overrides` come after it (the tests shrink the pool to force sharing).
 */
export async function startPgBouncer(options: {
  port: number;
  backend: string;
  overrides?: Record<string, string | number>;
  databases?: string[];
}): Promise<PgBouncer> {
  const dir = scratchDir('pgbouncer');
  const [host, backendPort] = options.backend.split(':');
  writeOwned(path.join(dir, 'userlist.txt'), '"postgres" ""\n');
  const ini = [
    '[databases]',
    ...(options.databases ?? ['*']).map((d) => `${d} = host=${host} port=${backendPort}`),
    // The deployment's settings as they are (pgBouncer 1.18's %include did not apply them here).
    readFileSync(deployFile('pgbouncer/pgbouncer.ini'), 'utf8'),
    '; scratch instance',
    'listen_addr = 127.0.0.1',
    `listen_port = ${options.port}`,
    `unix_socket_dir = ${dir}`,
    'auth_type = trust',
    `auth_file = ${dir}/userlist.txt`,
    'admin_users = postgres',
    `pidfile = ${dir}/pgbouncer.pid`,
    ...Object.entries(options.overrides ?? {}).map(([k, v]) => `${k} = ${v}`),
  ].join('\n');
  writeOwned(path.join(dir, 'pgbouncer.ini'), `${ini}\n`);
  const daemon = startDaemon('/usr/sbin/pgbouncer', [path.join(dir, 'pgbouncer.ini')], { asPg: true });
  const url = (database: string): string => `postgres://postgres@127.0.0.1:${options.port}/${database}`;
  const { default: pg } = await import('pg');
  await waitFor(
    `pgBouncer on ${options.port} (${daemon.output()})`,
    async () => {
      const client = new pg.Client({ connectionString: url('pgbouncer') });
      await client.connect();
      await client.end();
      return true;
    },
    15_000,
  );
  return {
    ...daemon,
    dir,
    port: options.port,
    url,
    admin: () => url('pgbouncer'),
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
