/**
 * The server under test for bench/flood.ts, in a process of its own: the real app on DATABASE_URL
 * (reporting pool and timeouts from the usual settings), trusting the bench's signing key
 * (BENCH_JWK, a public JWK). `--shared-pool` reproduces the old layout: reports and analytics on the
 * primary pool, without statement_timeout. Prints `PORT <n>` once listening.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createLocalJWKSet, type JWK } from 'jose';
import { buildApp } from '../../apps/server/src/app.js';
import { loadConfig } from '../../apps/server/src/config.js';
import { openDatabase } from '../../apps/server/src/platform/db/index.js';
import { openReportingDatabase } from '../../apps/server/src/modules/reporting/index.js';

const sharedPool = process.argv.includes('--shared-pool');
const config = loadConfig({ RATE_LIMITS: 'off', ...process.env, LOG_LEVEL: 'silent', SEED_DEMO: 'false', NODE_ENV: 'production' }); // pool isolation, not the rate limits (RATE_LIMITS=on to see them refuse the flood);
const database = await openDatabase(config.database);
const reportingDatabase = sharedPool ? undefined : await openReportingDatabase(config);
const jwk = JSON.parse(process.env.BENCH_JWK ?? '{}') as JWK;
const app = await buildApp({
  config,
  database,
  reportingDatabase,
  trustedIssuer: {
    issuer: 'https://bench.invalid/',
    audience: 'yardmaster',
    keys: createLocalJWKSet({ keys: [jwk] }),
    tenantClaim: 'org',
    clientId: 'yardmaster-web',
  },
  webDir: '/nonexistent',
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`PORT ${typeof address === 'object' && address ? address.port : 0}\n`);
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
process.on('SIGTERM', () => {
  lag.disable();
  process.stderr.write(
    `server event-loop delay: p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms\n`,
  );
  void app
    .close()
    .then(() => reportingDatabase?.close())
    .then(() => database.close())
    .then(() => process.exit(0));
});
