import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Board } from '@yardmaster/contracts';
import { createWorkOrder } from '../src/modules/dispatch/index.js';
import { sendToMaintenance } from '../src/modules/fleet/index.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller } from './support/fleet.js';
import type { TestIdentity } from './support/identity.js';

describe(`board queue positions and reasons on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('gives each queued card its position among its type ("#2 of 2") and the one-line reason, so no per-card call is needed', async () => {
    const slug = (await createTestTenant(database, 'bq')).slug;
    const fleet = await buildFleet(database, slug, {
      types: { Crane: [], Van: [], Tanker: ['HAZMAT'] },
      equipment: { Crane: 1, Van: 1, Tanker: 1 },
      drivers: [{ quals: [] }, { quals: [{ code: 'HAZMAT', expiresAt: '2020-01-01T00:00:00Z' }] }],
    });
    const caller = dispatcherCaller(slug);
    await withTenant(database.db, slug, (tx) => sendToMaintenance(tx, caller, fleet.equipmentIds.Van?.[0] ?? '', undefined, 'tyres'));
    const order = (type: string, priority: 'urgent' | 'standard' = 'standard') => ({
      siteId: fleet.siteId,
      description: type,
      priority,
      lines: [{ equipmentTypeId: fleet.typeIds[type] ?? '', quantity: 1 }],
    });
    const create = (type: string, priority?: 'urgent' | 'standard') =>
      withTenant(database.db, slug, (tx) => createWorkOrder(tx, caller, order(type, priority)));
    await create('Crane'); // takes the only crane
    const craneLater = await create('Crane');
    const craneUrgent = await create('Crane', 'urgent');
    const van = await create('Van');
    const tanker = await create('Tanker');

    const token = await identity.token({ roles: ['viewer'], tenant: slug });
    const response = await app.inject({ method: 'GET', url: '/api/v1/board', headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    const board = response.json<Board>();
    const card = (workOrderId: string) => board.queued.find((d) => d.workOrderId === workOrderId);
    expect(card(craneUrgent.id)).toMatchObject({ queuePosition: 1, competing: 2, reason: 'every Crane is on a job' });
    expect(card(craneLater.id)).toMatchObject({ queuePosition: 2, competing: 2, reason: 'every Crane is on a job' });
    expect(card(van.id)).toMatchObject({ queuePosition: 1, competing: 1, reason: 'every Van is in maintenance' });
    expect(card(tanker.id)).toMatchObject({ queuePosition: 1, competing: 1, reason: 'no driver holds a valid qualification for a Tanker' });
  });
});
