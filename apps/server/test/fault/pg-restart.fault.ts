import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db/index.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { buildFleet, type Fleet } from '../support/fleet.js';
import { stopCluster, startCluster } from './cluster.js';
import {
  badSamples,
  cluster,
  createFaultTenant,
  eventIds,
  expectIntact,
  listenOn,
  openFaultDatabase,
  openStream,
  sleep,
  startLoad,
  watchReadiness,
} from './support.js';

const OUTAGE_MS = 10_000;

describe('PostgreSQL restarts under load (throwaway cluster, stopped for 10 s)', () => {
  let database: Database;
  let t: TestApp;
  let baseUrl: string;
  let slug: string;
  let fleet: Fleet;
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => void crashes.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', onCrash);
    ({ database } = await openFaultDatabase({ poolSize: 10, poolTimeoutMs: 2_000 }));
    slug = await createFaultTenant(database, 'restart');
    fleet = await buildFleet(database, slug, {
      types: { VAN: [] },
      equipment: { VAN: 4 },
      drivers: [{ quals: [] }, { quals: [] }, { quals: [] }, { quals: [] }],
    });
    t = await createTestApp(database);
    baseUrl = await listenOn(t.app);
  });
  afterAll(async () => {
    process.off('uncaughtException', onCrash);
    await t?.app.close();
    await database?.close();
  });

  it('stays up, answers 503 + Retry-After during the outage, loses no acknowledged write, and the live stream resumes', async () => {
    const token = await t.identity.token({ roles: ['dispatcher'], tenant: slug });
    const stream = openStream(baseUrl, token);
    await stream.live;
    const readiness = watchReadiness(baseUrl);
    const load = startLoad(baseUrl, token, fleet, { clients: 6, pauseMs: 20 });
    await sleep(2_000);

    await stopCluster(cluster(), 'fast');
    const down = Date.now();
    const seenBeforeOutage = stream.ids.at(-1) ?? 0;
    await sleep(1_000);
    // A live-stream request during the outage is refused like any other, not left hanging.
    const during = await fetch(`${baseUrl}/api/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    const duringBody = (await during.json()) as { type?: string; status?: number };
    await sleep(OUTAGE_MS - (Date.now() - down));
    // pg_ctl -w notices the server is up only at its next poll, which on a busy machine can be
    // well after the server accepts connections: the outage is over once the restart begins.
    const restarting = Date.now();
    await startCluster(cluster());
    const up = Date.now();
    await sleep(5_000);
    const samples = await load.stop();
    const ready = await readiness.stop();

    // The process is still here and serving.
    expect(crashes).toEqual([]);
    expect(t.app.server.listening).toBe(true);

    // Every answer was a success, a conflict or a 503 problem+json with Retry-After; none hung.
    expect(badSamples(samples).slice(0, 5)).toEqual([]);
    const outage = samples.filter((s) => s.at > down + 500 && s.at + s.ms < restarting);
    expect(outage.length).toBeGreaterThan(10);
    expect(outage.every((s) => s.status === 503)).toBe(true);
    expect(Math.max(...samples.map((s) => s.ms))).toBeLessThan(8_000);
    const recovered = samples.filter((s) => s.at > up + 2_000);
    expect(recovered.filter((s) => s.status < 300).length).toBeGreaterThan(10);
    expect(recovered.filter((s) => s.status === 503)).toEqual([]);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(duringBody).toMatchObject({ type: '/problems/database-unavailable', status: 503 });

    // Readiness: 200 before, 503 while down, 200 again without a restart of the server.
    expect(ready.some((r) => r.at < down && r.status === 200)).toBe(true);
    expect(ready.some((r) => r.at > down + 500 && r.at < restarting && r.status === 503)).toBe(true);
    expect(
      ready
        .filter((r) => r.at > down && r.at < restarting)
        .map((r) => r.status)
        .filter((s) => s !== 503),
    ).toEqual([]);
    expect(ready.at(-1)?.status).toBe(200);

    await expectIntact(database, slug, load.acknowledged, load.completed);
    expect(load.acknowledged.length).toBeGreaterThan(10);
    expect(load.completed.length).toBeGreaterThan(0);

    // The live stream: the one open through the outage carries on with nothing missed, and a
    // client resuming from the last id it saw before the outage gets every event after it.
    const all = await eventIds(database, slug);
    const last = all.at(-1) ?? 0;
    await stream.waitForId(last);
    expect(stream.ids).toEqual(all.filter((id) => id >= (stream.ids[0] ?? 0)));
    const resumed = openStream(baseUrl, token, seenBeforeOutage);
    await resumed.waitForId(last);
    expect(resumed.status()).toBe(200);
    expect(resumed.ids).toEqual(all.filter((id) => id > seenBeforeOutage));
    expect(resumed.ids.length).toBeGreaterThan(0);
    stream.close();
    resumed.close();
  }, 90_000);
});
