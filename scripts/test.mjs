// npm test: the whole suite in one Vitest run — unit tests, every database test on the local
// PostgreSQL and on embedded PGlite, the web app's tests, the browser tests and the
// fault-injection project (its own throwaway PostgreSQL cluster).
// Locally, an unreachable PostgreSQL skips that run with a message; with CI=true it fails, and so
// does any skipped test.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { root, run } from './lib.mjs';

const isCi = process.env.CI === 'true' || process.env.CI === '1';
const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const extra = process.argv.slice(2);

async function postgresReachable() {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    return error.message;
  }
}

const reachable = await postgresReachable();
const projects = [];
if (reachable !== true) {
  if (isCi) {
    console.error(`PostgreSQL is not reachable at ${adminUrl} (${reachable}); CI requires the PostgreSQL run.`);
    process.exit(1);
  }
  console.warn(
    `\n!! PostgreSQL is not reachable at ${adminUrl} (${reachable}).\n!! SKIPPING the PostgreSQL run and the browser tests (they run the server on PostgreSQL); the PGlite run still covers the database tests.\n`,
  );
  projects.push('--project', '!postgres', '--project', '!e2e');
}

// The fault-injection project starts a throwaway cluster with Debian's PostgreSQL server binaries.
const hasServerBinaries =
  existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`));
if (!hasServerBinaries) {
  if (isCi) {
    console.error('PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin) are missing; CI requires the fault-injection run.');
    process.exit(1);
  }
  console.warn(
    '\n!! No PostgreSQL server binaries under /usr/lib/postgresql: SKIPPING the fault-injection project (apt-get install postgresql).\n',
  );
  projects.push('--project', '!fault');
}

mkdirSync(path.join(root, 'artifacts'), { recursive: true });
const report = path.join(root, 'artifacts', 'vitest-report.json');
const code = await run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...projects,
  ...extra,
]);

let summary;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.error('no test report was written');
  process.exit(code || 1);
}
const skipped = summary.numPendingTests + summary.numTodoTests;
console.log(`\n${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped`);
if (summary.numTotalTests === 0) {
  console.error('no test ran');
  process.exit(1);
}
if (isCi && skipped > 0) {
  console.error(`CI=true: ${skipped} skipped test(s) fail the run`);
  process.exit(1);
}
process.exit(code);
