import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { unavailabilityOf, withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { openReportingDatabase } from '../src/modules/reporting/index.js';
import { createTestTenant, openTestDatabase } from './support/db.js';

describe('reports and analytics on a pool of their own (REPORTING_POOL_SIZE, REPORTING_STATEMENT_TIMEOUT_MS)', () => {
  let primary: Database;
  let reporting: Database;
  let tenant: TenantRecord;

  beforeAll(async () => {
    primary = await openTestDatabase();
    tenant = await createTestTenant(primary, 'rpool');
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: inject('postgresUrl'),
      REPORTING_POOL_SIZE: '2',
      REPORTING_STATEMENT_TIMEOUT_MS: '1000',
      DATABASE_POOL_TIMEOUT_MS: '500',
    });
    const opened = await openReportingDatabase(config);
    if (!opened) throw new Error('no reporting pool on PostgreSQL without REPORTING_DATABASE_URL');
    reporting = opened;
  });
  afterAll(async () => {
    await reporting?.close();
    await primary?.close();
  });

  it('opens its own read-only sessions with the statement timeout, even without a replica', async () => {
    const settings = await withTenant(reporting.db, tenant.slug, (tx) =>
      sql<{
        timeout: string;
        readOnly: string;
        app: string;
      }>`select current_setting('statement_timeout') as timeout, current_setting('transaction_read_only') as "readOnly", current_setting('application_name') as app`.execute(
        tx,
      ),
    );
    expect(settings.rows[0]).toEqual({ timeout: '1s', readOnly: 'on', app: 'yardmaster-reporting' });
  });

  it('a report running past the timeout is cancelled and answered as a timeout (503), not a 500', async () => {
    const failure = await withTenant(reporting.db, tenant.slug, (tx) => sql`select pg_sleep(2)`.execute(tx)).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: '57014' });
    expect(unavailabilityOf(failure)).toEqual({ kind: 'timeout', retryAfterSeconds: 5 });
  });

  it('a flood of reports waits for its 2 connections, then gets "busy" — while the primary pool serves at once', async () => {
    const flood = Array.from({ length: 6 }, () =>
      withTenant(reporting.db, tenant.slug, (tx) => sql`select pg_sleep(0.4)`.execute(tx)).then(
        () => 'done',
        (error: unknown) => unavailabilityOf(error)?.kind ?? String(error),
      ),
    );
    const started = Date.now();
    await withTenant(primary.db, tenant.slug, (tx) => sql`select 1`.execute(tx));
    expect(Date.now() - started).toBeLessThan(350); // a shared pool of 2 would have made it wait 400 ms or more
    const outcomes = await Promise.all(flood);
    expect(outcomes.filter((o) => o === 'done').length).toBeGreaterThanOrEqual(2);
    expect(outcomes.filter((o) => o !== 'done').every((o) => o === 'busy')).toBe(true);
    expect(outcomes).toContain('busy');
  });

  it('past a short queue (4 per connection) a report is refused at once, not after the pool timeout', async () => {
    const started = Date.now();
    const flood = Array.from({ length: 20 }, () =>
      withTenant(reporting.db, tenant.slug, (tx) => sql`select pg_sleep(0.3)`.execute(tx)).then(
        () => ({ kind: 'done', ms: Date.now() - started }),
        (error: unknown) => ({ kind: unavailabilityOf(error)?.kind ?? String(error), ms: Date.now() - started }),
      ),
    );
    const outcomes = await Promise.all(flood);
    const refusedAtOnce = outcomes.filter((o) => o.kind === 'busy' && o.ms < 250);
    expect(refusedAtOnce.length).toBeGreaterThanOrEqual(10); // 2 running + 8 queued; the other 10 never wait
    expect(outcomes.filter((o) => o.kind !== 'done' && o.kind !== 'busy')).toEqual([]);
  });
});
