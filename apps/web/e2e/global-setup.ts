import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- augmenting Vitest's interface
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
  }
}

function runStep(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output.slice(-4000)}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForReady(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${logs().slice(-4000)}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`server not ready at ${url} within 120 s:\n${logs().slice(-4000)}`);
}

/**
 * The browser tests' world: builds the server and the web app once, creates a fresh PostgreSQL
 * database, starts the real server on a free port with the demo tenant, and tears it all down.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Checked first: a failure after the server starts would leave it and its database behind.
  if (!existsSync('/usr/bin/chromium')) throw new Error('Debian Chromium is missing: apt-get install -y chromium');
  try {
    await runStep('npx', ['tsc', '-b', 'apps/server/tsconfig.build.json']);
  } catch (error) {
    // Type errors still emit JavaScript; the typecheck step reports them. Run what was built.
    if (!existsSync(path.join(root, 'apps/server/dist/main.js'))) throw error;
    console.warn(`e2e: the server build reported errors; testing the emitted JavaScript.\n${(error as Error).message.slice(0, 2000)}`);
  }
  await runStep('npm', ['run', 'build', '-w', '@yardmaster/web']);

  const database = `ym_e2e_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;

  const dataDir = mkdtempSync(path.join(tmpdir(), 'ym-e2e-'));
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  let logs = '';
  // The embedded identity provider (no OIDC_ISSUER) and nothing else inherited that could steer it.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(OIDC_|DATABASE_|REPORTING_|PUBLIC_URL|YM_)/.test(k)),
  );
  const child = spawn(process.execPath, ['apps/server/dist/main.js'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inherited,
      DATABASE_URL: databaseUrl.toString(),
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: baseUrl,
      DATA_DIR: dataDir,
      SEED_DEMO: 'true',
      LOG_LEVEL: 'warn',
      // The webhook screen's test sends deliveries to this server itself (a receiver on loopback).
      OUTBOUND_ALLOW: '127.0.0.0/8',
    },
  });
  child.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (logs += c.toString()));

  const teardown = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    // Tenant roles are cluster objects named after their database (`ym_<md5(db)[0,10]>_<slug>`):
    // drop exactly this database's.
    const prefix = `ym\\_${createHash('md5').update(database).digest('hex').slice(0, 10)}\\_`;
    const roles = await cleanup.query<{ rolname: string }>(`select rolname from pg_roles where rolname like $1`, [`${prefix}%`]);
    for (const { rolname } of roles.rows) await cleanup.query(`drop role if exists "${rolname}"`);
    await cleanup.end();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForReady(baseUrl, child, () => logs);
  } catch (error) {
    await teardown();
    throw error;
  }
  mkdirSync(path.join(root, 'artifacts', 'screenshots'), { recursive: true });
  project.provide('baseUrl', baseUrl);
  project.provide('databaseUrl', databaseUrl.toString());
  return teardown;
}
