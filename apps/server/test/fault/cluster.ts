import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway PostgreSQL cluster (Debian's initdb + pg_ctl) on a scratch port and folder. */
export type Cluster = { binDir: string; dataDir: string; port: number; runAsPostgres: boolean; url: string };

/** The newest PostgreSQL server binaries Debian installed (/usr/lib/postgresql/<version>/bin). */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${root} (apt-get install postgresql)`);
  return path.join(root, newest, 'bin');
}

/** initdb refuses to run as root: as root, the cluster belongs to (and runs as) the postgres user. */
async function exec(cluster: Pick<Cluster, 'binDir' | 'runAsPostgres'>, tool: string, args: string[]): Promise<string> {
  const binary = path.join(cluster.binDir, tool);
  const [file, argv] = cluster.runAsPostgres ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  const { stdout } = await run(file, argv, { timeout: 60_000 });
  return stdout;
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** First free port from `from` (FAULT_PG_PORT, default 15432: the resilience range is 15000-15999). */
async function freePort(from: number): Promise<number> {
  for (let port = from; port < from + 200; port++) if (await isFree(port)) return port;
  throw new Error(`no free port in ${from}-${from + 199}`);
}

export async function createCluster(firstPort: number): Promise<Cluster> {
  const binDir = postgresBinDir();
  const runAsPostgres = process.getuid?.() === 0;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ym-fault-pg-'));
  if (runAsPostgres) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dataDir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort(firstPort);
  const cluster: Cluster = { binDir, dataDir, port, runAsPostgres, url: `postgres://postgres@127.0.0.1:${port}/postgres` };
  await exec(cluster, 'initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  await startCluster(cluster);
  return cluster;
}

export async function startCluster(cluster: Cluster): Promise<void> {
  const options = `-p ${cluster.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${cluster.dataDir} -c max_connections=100 -c shared_buffers=32MB`;
  await exec(cluster, 'pg_ctl', [
    '-D',
    cluster.dataDir,
    '-l',
    path.join(cluster.dataDir, 'server.log'),
    '-o',
    options,
    '-w',
    '-t',
    '60',
    'start',
  ]);
}

/** `fast`: what a service restart does — sessions are terminated, in-flight transactions roll back. */
export async function stopCluster(cluster: Cluster, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  await exec(cluster, 'pg_ctl', ['-D', cluster.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
}

export async function destroyCluster(cluster: Cluster): Promise<void> {
  await stopCluster(cluster, 'immediate').catch(() => undefined);
  rmSync(cluster.dataDir, { recursive: true, force: true });
}
