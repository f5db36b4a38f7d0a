import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Board, Dispatch } from '@yardmaster/contracts';
import { createWorkOrder, sweepTenant } from '../src/modules/dispatch/index.js';
import type { Database } from '../src/platform/db/index.js';
import { withTenant } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller } from './support/fleet.js';
import type { TestIdentity } from './support/identity.js';

describe(`recall and hold on ${testDbKind()}`, () => {
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

  async function running() {
    const slug = (await createTestTenant(database, 'hold')).slug;
    const fleet = await buildFleet(database, slug, { types: { Van: [] }, equipment: { Van: 1 }, drivers: [{ quals: [] }] });
    const wo = await withTenant(database.db, slug, (tx) =>
      createWorkOrder(tx, dispatcherCaller(slug), {
        siteId: fleet.siteId,
        description: 'Deliver',
        priority: 'standard',
        lines: [{ equipmentTypeId: fleet.typeIds.Van ?? '', quantity: 1 }],
      }),
    );
    const dispatcher = await identity.token({ roles: ['dispatcher'], tenant: slug });
    const viewer = await identity.token({ roles: ['viewer'], tenant: slug });
    const send = (token: string, url: string, payload?: object, version?: number) =>
      app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${token}`, ...(version ? { 'if-match': `"${version}"` } : {}) },
        payload: payload ?? {},
      });
    const board = async () =>
      (await app.inject({ method: 'GET', url: '/api/v1/board', headers: { authorization: `Bearer ${viewer}` } })).json<Board>();
    const first = (await board()).active[0];
    if (!first) throw new Error('nothing dispatched');
    return { slug, dispatcher, viewer, send, board, first, wo };
  }

  it('holds recalled work out of the queue, visible with its reason, until a dispatcher releases it; then it is dispatched at once', async () => {
    const { slug, dispatcher, viewer, send, board, first } = await running();
    const recalled = await send(
      dispatcher,
      `/api/v1/dispatches/${first.id}/recall`,
      { reason: 'wrong address', hold: { reason: 'customer to confirm the site' } },
      first.version,
    );
    expect(recalled.statusCode).toBe(200);
    let now = await board();
    expect(now.queued).toHaveLength(0);
    expect(now.active).toHaveLength(0);
    expect(now.held).toHaveLength(1);
    const held = now.held[0] as Dispatch;
    expect(held).toMatchObject({ status: 'held', hold: { reason: 'customer to confirm the site', notBefore: null }, equipmentId: null });
    expect(held.timestamps.heldAt).not.toBeNull();

    // The van and driver are free, and the sweeper runs: held work still is not dispatched.
    await sweepTenant(database, slug);
    now = await board();
    expect(now.held.map((d) => d.id)).toEqual([held.id]);

    expect((await send(viewer, `/api/v1/dispatches/${held.id}/release`, {}, held.version)).statusCode).toBe(403);
    const released = await send(dispatcher, `/api/v1/dispatches/${held.id}/release`, {}, held.version);
    expect(released.statusCode).toBe(200);
    expect(released.json<Dispatch>().status).toBe('dispatched');
    now = await board();
    expect(now.held).toHaveLength(0);
    expect(now.active.map((d) => d.id)).toEqual([held.id]);

    const again = await send(dispatcher, `/api/v1/dispatches/${held.id}/release`, {}, released.json<Dispatch>().version);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ type: '/problems/dispatch/invalid-transition' });
  });

  it('released before its "not before" time, held work waits as scheduled work starting then; held work can be cancelled', async () => {
    const { dispatcher, send, board, first } = await running();
    const notBefore = new Date(Date.now() + 3 * 3600_000).toISOString();
    await send(
      dispatcher,
      `/api/v1/dispatches/${first.id}/recall`,
      { reason: 'site closed', hold: { reason: 'gate locked', notBefore } },
      first.version,
    );
    const held = (await board()).held[0] as Dispatch;
    expect(held.hold?.notBefore).toBe(notBefore);
    const released = (await send(dispatcher, `/api/v1/dispatches/${held.id}/release`, {}, held.version)).json<Dispatch>();
    expect(released).toMatchObject({ status: 'scheduled', requestedStart: notBefore });
    expect((await board()).scheduled.map((d) => d.id)).toEqual([held.id]);

    const second = await running();
    await second.send(
      second.dispatcher,
      `/api/v1/dispatches/${second.first.id}/recall`,
      { reason: 'x', hold: { reason: 'y' } },
      second.first.version,
    );
    const heldAgain = (await second.board()).held[0] as Dispatch;
    const cancelled = await second.send(
      second.dispatcher,
      `/api/v1/dispatches/${heldAgain.id}/cancel`,
      { reason: 'not needed' },
      heldAgain.version,
    );
    expect(cancelled.statusCode).toBe(200);
    expect((await second.board()).held).toHaveLength(0);
  });

  it('refuses a hold without a reason (400 with the field) and changes nothing; without `hold` the work is queued again as before', async () => {
    const { dispatcher, send, board, first } = await running();
    const refused = await send(dispatcher, `/api/v1/dispatches/${first.id}/recall`, { reason: 'r', hold: { reason: ' ' } }, first.version);
    expect(refused.statusCode).toBe(400);
    expect(JSON.stringify(refused.json())).toContain('hold');
    expect((await board()).active.map((d) => d.id)).toEqual([first.id]);
    const recalled = await send(dispatcher, `/api/v1/dispatches/${first.id}/recall`, { reason: 'r' }, first.version);
    expect(recalled.statusCode).toBe(200);
    const after = await board();
    expect(after.held).toHaveLength(0);
    // Queued again and, the van being free, dispatched at once as a new dispatch.
    expect(after.active).toHaveLength(1);
    expect(after.active[0]?.id).not.toBe(first.id);
  });
});
