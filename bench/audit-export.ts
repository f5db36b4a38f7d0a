/**
 * Audit export benchmark: fills a scratch PostgreSQL database with N audit events through the
 * real hashing path (recordAuditBatch), then streams the export as CSV and JSON lines to /dev/null
 * and re-walks the chain, each phase in a child process so its peak RSS is its own.
 *
 *   node --import tsx bench/audit-export.ts [--events 1000000] [--keep]
 *
 * PostgreSQL: BENCH_POSTGRES_URL (or TEST_POSTGRES_URL), default postgres://postgres@127.0.0.1:5432/postgres
 * (a superuser: it creates and drops the scratch database and the tenant role).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrations } from '../apps/server/src/migrations/index.js';
import { systemCaller } from '../apps/server/src/platform/caller.js';
import { migrateAll, openDatabase, provisionTenant, withTenant, type Database } from '../apps/server/src/platform/db/index.js';
import { recordAuditBatch, verifyAuditChain } from '../apps/server/src/modules/audit/index.js';
import { openAuditExport } from '../apps/server/src/modules/audit/audit.export.js';
import { dropTenantRolesOf } from '../apps/server/test/support/tenant-roles.js';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SLUG = 'bench';
const TX_SIZE = 10_000;

type PhaseResult = { phase: string; rows: number; bytes: number; seconds: number; rowsPerSecond: number; peakRssMiB: number };

const peakRssMiB = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

async function open(url: string): Promise<Database> {
  return openDatabase({ kind: 'postgres', url, poolSize: 4 });
}

/** Child: one measured phase against an existing bench database. */
async function child(phase: string, url: string, events: number): Promise<PhaseResult> {
  const database = await open(url);
  const started = performance.now();
  let rows = events;
  let bytes = 0;
  try {
    if (phase === 'generate') {
      await migrateAll(database.db, migrations);
      await provisionTenant(database.db, { slug: SLUG, name: 'Bench', timeZone: 'UTC' }, migrations.tenant);
      for (let done = 0; done < events; done += TX_SIZE) {
        const n = Math.min(TX_SIZE, events - done);
        await withTenant(database.db, SLUG, (tx) =>
          recordAuditBatch(
            tx,
            { ...systemCaller(SLUG, `bench-${done}`), sourceIp: '198.51.100.1', userAgent: 'bench/1.0' },
            Array.from({ length: n }, (_, i) => ({
              action: 'equipment.updated',
              entityType: 'equipment',
              entityId: `eq-${(done + i) % 5000}`,
              before: { status: 'available', note: 'parked, "yard" B', version: done + i },
              after: { status: 'dispatched', note: 'on job\nsite 7', version: done + i + 1 },
            })),
          ),
        );
      }
    } else if (phase === 'csv' || phase === 'jsonl') {
      const chunks = await openAuditExport(database.db, SLUG, { format: phase });
      rows = 0;
      const counting = Readable.from(
        (async function* count() {
          for await (const chunk of chunks) {
            bytes += Buffer.byteLength(chunk);
            rows += chunk.split('\n').length - 1;
            yield chunk;
          }
        })(),
      );
      await pipeline(counting, createWriteStream('/dev/null'));
      if (phase === 'csv') rows -= 1; // header
    } else if (phase === 'verify') {
      const result = await verifyAuditChain(database.db, SLUG);
      if (!result.ok) throw new Error(`chain broken: ${JSON.stringify(result.firstBroken)}`);
      rows = result.checked;
    } else {
      throw new Error(`unknown phase ${phase}`);
    }
  } finally {
    await database.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    phase,
    rows,
    bytes,
    seconds: Math.round(seconds * 10) / 10,
    rowsPerSecond: Math.round(rows / seconds),
    peakRssMiB: peakRssMiB(),
  };
}

function runChild(phase: string, url: string, events: number): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', phase, url, String(events)],
      { maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${phase} failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as PhaseResult);
      },
    );
  });
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    const result = await child(argv[1] ?? '', argv[2] ?? '', Number(argv[3]));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const eventsAt = argv.indexOf('--events');
  const events = eventsAt >= 0 ? Number(argv[eventsAt + 1]) : 1_000_000;
  const keep = argv.includes('--keep');
  const name = `ym_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  try {
    console.log(`audit export bench: ${events.toLocaleString('en')} events in ${name}`);
    for (const phase of ['generate', 'csv', 'jsonl', 'verify']) {
      const r = await runChild(phase, url, events);
      const mib = r.bytes ? `, ${(r.bytes / 1024 / 1024).toFixed(0)} MiB` : '';
      console.log(
        `${r.phase.padEnd(8)} ${r.rows.toLocaleString('en')} rows in ${r.seconds}s = ${r.rowsPerSecond.toLocaleString('en')} rows/s${mib}, peak RSS ${r.peakRssMiB} MiB`,
      );
    }
  } finally {
    if (!keep) {
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
      await admin.query(`drop database if exists ${name}`);
      await dropTenantRolesOf(admin, name);
    } else console.log(`kept ${url}`);
    await admin.end();
  }
}

await main(process.argv.slice(2));
