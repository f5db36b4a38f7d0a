/**
 * Board latency under an analytics flood (issue 13, finding 3): a scratch PostgreSQL database with
 * tenant `bench` holding N finished dispatches (bench/reports.ts's generator), the real server in a
 * process of its own (bench/flood/server.ts), the board read from here, one request at a time,
 * first idle and then while a third process (bench/flood/load.ts) sends GET /api/v1/analytics over
 * a year at a fixed rate. Prints board p50/p95/p99 idle and flooded, the ratio, and what the flood got.
 *
 *   npm run bench:flood                                  # 100,000 dispatches, 200 analytics/s, 20 s per phase
 *   node --import tsx bench/flood.ts [--dispatches 100000] [--rate 200] [--seconds 20] [--shared-pool] [--keep] [--reuse <db>]
 *
 * `--shared-pool`: the layout before the fix (reports on the primary pool, no statement_timeout).
 * Server settings come from the environment as usual (DATABASE_POOL_SIZE, REPORTING_POOL_SIZE,
 * REPORTING_STATEMENT_TIMEOUT_MS, DATABASE_POOL_TIMEOUT_MS).
 * PostgreSQL: BENCH_POSTGRES_URL (or TEST_POSTGRES_URL), default postgres://postgres@127.0.0.1:5432/postgres.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { once } from 'node:events';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { migrations } from '../apps/server/src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant } from '../apps/server/src/platform/db/index.js';
import { generate } from './reports.js';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentiles(values: number[]): { n: number; p50: number; p95: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1));
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** Reads the board one request at a time for `seconds`; latencies in ms, and any non-200 answers. */
async function readBoard(baseUrl: string, token: string, seconds: number): Promise<{ latencies: number[]; failures: Map<number, number> }> {
  const latencies: number[] = [];
  const failures = new Map<number, number>();
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const started = performance.now();
    const response = await fetch(`${baseUrl}/api/v1/board`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (response.status === 200) latencies.push(performance.now() - started);
    else failures.set(response.status, (failures.get(response.status) ?? 0) + 1);
    await sleep(20);
  }
  return { latencies, failures };
}

function tsx(script: string, args: string[], env: NodeJS.ProcessEnv = process.env, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function main(argv: string[]): Promise<void> {
  const dispatches = arg(argv, '--dispatches', 100_000);
  const rate = arg(argv, '--rate', 200);
  const seconds = arg(argv, '--seconds', 20);
  const sharedPool = argv.includes('--shared-pool');
  const keep = argv.includes('--keep');
  const reuseAt = argv.indexOf('--reuse');
  const reuse = reuseAt >= 0 ? argv[reuseAt + 1] : undefined;
  const name = reuse ?? `ym_bench_flood_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  if (!reuse) await admin.query(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  let server: ChildProcess | undefined;
  try {
    process.stdout.write(
      `${(await admin.query<{ v: string }>('select version() as v')).rows[0]?.v}\n${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}\n`,
    );
    if (!reuse) {
      const database = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
      await migrateAll(database.db, migrations);
      await provisionTenant(database.db, { slug: 'bench', name: 'Bench', timeZone: 'Europe/London' }, migrations.tenant);
      await database.close();
      await generate(url, dispatches);
    }

    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
    const tokenFor = (subject: string, name: string): Promise<string> =>
      new SignJWT({ realm_access: { roles: ['dispatcher'] }, org: 'bench', name })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'JWT' })
        .setSubject(subject)
        .setIssuer('https://bench.invalid/')
        .setAudience('yardmaster')
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey);
    // The board reader and the flood are two people of one tenant: with RATE_LIMITS=on the flood
    // spends its own user budget (and its share of the tenant's), not the board reader's.
    const token = await tokenFor('bench-dispatcher', 'Bench Dispatcher');
    const floodToken = await tokenFor('bench-analyst', 'Bench Analyst');

    // BENCH_SERVER_PROFILE=<dir>: a CPU profile of the server process, written when it exits.
    const profile = process.env.BENCH_SERVER_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROFILE}`] : [];
    server = tsx(
      'bench/flood/server.ts',
      sharedPool ? ['--shared-pool'] : [],
      { ...process.env, DATABASE_URL: url, BENCH_JWK: JSON.stringify(jwk) },
      profile,
    );
    let output = '';
    server.stdout?.setEncoding('utf8');
    server.stdout?.on('data', (chunk: string) => (output += chunk));
    while (!/PORT (\d+)/.test(output)) {
      if (server.exitCode !== null) throw new Error('the server exited before listening');
      await sleep(50);
    }
    const baseUrl = `http://127.0.0.1:${/PORT (\d+)/.exec(output)?.[1]}`;
    process.stdout.write(
      `server ${baseUrl} (${sharedPool ? 'shared pool: reports on the primary pool, no statement_timeout' : 'reporting pool of its own'})\n`,
    );

    await readBoard(baseUrl, token, 2); // warm-up
    const idle = await readBoard(baseUrl, token, seconds);

    const load = tsx('bench/flood/load.ts', [baseUrl, floodToken, String(rate), String(seconds + 4)]);
    let loadOutput = '';
    load.stdout?.setEncoding('utf8');
    load.stdout?.on('data', (chunk: string) => (loadOutput += chunk));
    await sleep(3_000); // let the flood reach its steady state
    const flooded = await readBoard(baseUrl, token, seconds);
    await once(load, 'exit');

    const a = percentiles(idle.latencies);
    const b = percentiles(flooded.latencies);
    const rows = [
      ['board, idle', a.n, a.p50, a.p95, a.p99, [...idle.failures].map(([s, n]) => `${n}×${s}`).join(' ') || '-'],
      [`board, ${rate} analytics/s`, b.n, b.p50, b.p95, b.p99, [...flooded.failures].map(([s, n]) => `${n}×${s}`).join(' ') || '-'],
    ];
    process.stdout.write(
      `\n${'phase'.padEnd(28)}${'n'.padStart(6)}${'p50 ms'.padStart(10)}${'p95 ms'.padStart(10)}${'p99 ms'.padStart(10)}  non-200\n`,
    );
    for (const r of rows)
      process.stdout.write(
        `${String(r[0]).padEnd(28)}${String(r[1]).padStart(6)}${String(r[2]).padStart(10)}${String(r[3]).padStart(10)}${String(r[4]).padStart(10)}  ${r[5]}\n`,
      );
    const ratio = b.n === 0 ? 'the board never answered 200 under the flood' : `${(b.p99 / a.p99).toFixed(2)}×`;
    process.stdout.write(`\nboard p99 flooded / idle: ${ratio}\nanalytics flood: ${loadOutput.trim()}\n`);
  } catch (error) {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    if (keep || reuse) process.stdout.write(`kept database ${name} (again: --reuse ${name})\n`);
    else {
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
      await admin.query(`drop database if exists ${name}`);
    }
    await admin.end();
  }
}

await main(process.argv.slice(2));
