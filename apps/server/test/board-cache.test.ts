import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/platform/db/index.js';
import { boardScopeKey } from '../src/modules/dispatch/board-cache.js';
import { notificationsOf } from '../src/modules/notifications/index.js';
import { systemCaller } from '../src/platform/caller.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import type { TestIdentity } from './support/identity.js';

type Board = { queued: Array<{ id: string }>; autoProcessing: boolean };

describe(`board snapshot and ETag on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let slug: string;
  let otherSlug: string;
  let dispatcher: string;
  let viewer: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    slug = (await createTestTenant(database, 'brd')).slug;
    otherSlug = (await createTestTenant(database, 'brx')).slug;
    dispatcher = await identity.token({ roles: ['dispatcher'], tenant: slug });
    viewer = await identity.token({ roles: ['viewer'], tenant: slug });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  const send = (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  it('answers 304 while nothing changed and 200 with the change after a write', async () => {
    // A type whose only machine has no qualified driver: its requests queue.
    const q = (await send(dispatcher, 'POST', '/api/v1/qualifications', { code: 'NCCCO', name: 'Crane operator' })).json<{ id: string }>();
    const type = (
      await send(dispatcher, 'POST', '/api/v1/equipment-types', { code: 'CRANE', name: 'Crane', requiredQualificationIds: [q.id] })
    ).json<{ id: string }>();
    await send(dispatcher, 'POST', '/api/v1/equipment', { assetTag: 'CR-1', name: 'Crane 1', equipmentTypeId: type.id });
    const site = (await send(dispatcher, 'POST', '/api/v1/sites', { name: 'Tower', address: '9 High St' })).json<{ id: string }>();
    const order = { siteId: site.id, description: 'Lift', priority: 'standard', lines: [{ equipmentTypeId: type.id, quantity: 1 }] };
    const first = (await send(dispatcher, 'POST', '/api/v1/work-orders', order)).json<{ dispatchIds: string[] }>().dispatchIds[0];

    const read = await send(viewer, 'GET', '/api/v1/board');
    expect(read.statusCode).toBe(200);
    const etag = String(read.headers.etag);
    expect(etag).toMatch(/^W\/"b[\w-]+"$/);
    expect(read.json<Board>().queued.map((d) => d.id)).toEqual([first]);

    const unchanged = await send(viewer, 'GET', '/api/v1/board', undefined, { 'if-none-match': etag });
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.body).toBe('');
    expect(unchanged.headers.etag).toBe(etag);
    // A cached snapshot serves the same content to a second reader of the same scope.
    expect((await send(viewer, 'GET', '/api/v1/board')).json<Board>().queued.map((d) => d.id)).toEqual([first]);

    const second = (await send(dispatcher, 'POST', '/api/v1/work-orders', order)).json<{ dispatchIds: string[] }>().dispatchIds[0];
    const changed = await send(viewer, 'GET', '/api/v1/board', undefined, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json<Board>().queued.map((d) => d.id)).toEqual([first, second]);

    // Settings are part of the version although they publish no event.
    const before = String(changed.headers.etag);
    expect((await send(dispatcher, 'PATCH', '/api/v1/settings/dispatch', { autoProcessing: false })).statusCode).toBe(200);
    const toggled = await send(viewer, 'GET', '/api/v1/board', undefined, { 'if-none-match': before });
    expect(toggled.statusCode).toBe(200);
    expect(toggled.json<Board>().autoProcessing).toBe(false);
  });

  it('serves the version from memory between changes, and a write on another instance reaches its board by the change signal', async () => {
    // A second instance on the same database whose board versions, once read, would be trusted for
    // a minute: only the change signal (NOTIFY on PostgreSQL; the in-process wake on PGlite) can
    // show it a write made through the first instance.
    const other = await createTestApp(database, {}, { identity, boardTrustMs: 60_000 });
    try {
      const sendOther = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
        other.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${viewer}`, ...headers },
          ...(payload !== undefined ? { payload: payload as object } : {}),
        });
      const first = await sendOther('GET', '/api/v1/board');
      expect(first.statusCode).toBe(200);
      const etag = String(first.headers.etag);
      // The live hub watches once LISTEN is up; until then every read goes to the database.
      const deadline = Date.now() + 10_000;
      let unchanged = await sendOther('GET', '/api/v1/board', undefined, { 'if-none-match': etag });
      expect(unchanged.statusCode).toBe(304);
      while (!notificationsOf(other.app).hub.isWatching() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(notificationsOf(other.app).hub.isWatching()).toBe(true);
      unchanged = await sendOther('GET', '/api/v1/board', undefined, { 'if-none-match': etag });
      expect(unchanged.statusCode).toBe(304);

      const before = first.json<Board>().queued.length;
      // A hoist nobody is qualified to drive: the request queues (a board change, published as a live event).
      const q = (await send(dispatcher, 'POST', '/api/v1/qualifications', { code: 'HOIST', name: 'Hoist operator' })).json<{
        id: string;
      }>();
      const type = (
        await send(dispatcher, 'POST', '/api/v1/equipment-types', { code: 'HOIST', name: 'Hoist', requiredQualificationIds: [q.id] })
      ).json<{ id: string }>();
      await send(dispatcher, 'POST', '/api/v1/equipment', { assetTag: 'HO-1', name: 'Hoist 1', equipmentTypeId: type.id });
      const site = (await send(dispatcher, 'POST', '/api/v1/sites', { name: 'Yard', address: '1 Low St' })).json<{ id: string }>();
      const created = await send(dispatcher, 'POST', '/api/v1/work-orders', {
        siteId: site.id,
        description: 'Hoist',
        priority: 'standard',
        lines: [{ equipmentTypeId: type.id, quantity: 1 }],
      });
      expect(created.statusCode).toBe(201);
      const id = created.json<{ dispatchIds: string[] }>().dispatchIds[0];

      let changed = await sendOther('GET', '/api/v1/board', undefined, { 'if-none-match': etag });
      while (changed.statusCode === 304 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        changed = await sendOther('GET', '/api/v1/board', undefined, { 'if-none-match': etag });
      }
      expect(changed.statusCode).toBe(200);
      expect(changed.json<Board>().queued).toHaveLength(before + 1);
      expect(changed.json<Board>().queued.map((d) => d.id)).toContain(id);
    } finally {
      await other.app.close();
    }
  });

  it('keeps tenants and caller scopes apart', async () => {
    const mine = await send(viewer, 'GET', '/api/v1/board');
    const stranger = await identity.token({ roles: ['viewer'], tenant: otherSlug });
    const theirs = await send(stranger, 'GET', '/api/v1/board', undefined, { 'if-none-match': String(mine.headers.etag) });
    expect(theirs.statusCode).toBe(200);
    expect(theirs.json<Board>().queued).toEqual([]);
    const asDispatcher = await send(dispatcher, 'GET', '/api/v1/board', undefined, { 'if-none-match': String(mine.headers.etag) });
    expect(asDispatcher.statusCode).toBe(200);
    expect(boardScopeKey({ ...systemCaller(slug), roles: ['driver'], subject: 'a' })).not.toBe(
      boardScopeKey({ ...systemCaller(slug), roles: ['driver'], subject: 'b' }),
    );
    expect(boardScopeKey({ ...systemCaller(slug), roles: ['viewer', 'admin'] })).toBe(
      boardScopeKey({ ...systemCaller(slug), roles: ['admin', 'viewer'] }),
    );
  });
});
