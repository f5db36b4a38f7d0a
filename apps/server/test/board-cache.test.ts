import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/platform/db/index.js';
import { boardScopeKey } from '../src/modules/dispatch/board-cache.js';
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
    app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });

  it('answers 304 while nothing changed and 200 with the change after a write', async () => {
    // A type whose only machine has no qualified driver: its requests queue.
    const q = (await send(dispatcher, 'POST', '/api/v1/qualifications', { code: 'NCCCO', name: 'Crane operator' })).json<{ id: string }>();
    const type = (await send(dispatcher, 'POST', '/api/v1/equipment-types', { code: 'CRANE', name: 'Crane', requiredQualificationIds: [q.id] })).json<{ id: string }>();
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

  it('keeps tenants and caller scopes apart', async () => {
    const mine = await send(viewer, 'GET', '/api/v1/board');
    const stranger = await identity.token({ roles: ['viewer'], tenant: otherSlug });
    const theirs = await send(stranger, 'GET', '/api/v1/board', undefined, { 'if-none-match': String(mine.headers.etag) });
    expect(theirs.statusCode).toBe(200);
    expect(theirs.json<Board>().queued).toEqual([]);
    const asDispatcher = await send(dispatcher, 'GET', '/api/v1/board', undefined, { 'if-none-match': String(mine.headers.etag) });
    expect(asDispatcher.statusCode).toBe(200);
    expect(boardScopeKey({ ...systemCaller(slug), roles: ['driver'], subject: 'a' })).not.toBe(boardScopeKey({ ...systemCaller(slug), roles: ['driver'], subject: 'b' }));
    expect(boardScopeKey({ ...systemCaller(slug), roles: ['viewer', 'admin'] })).toBe(boardScopeKey({ ...systemCaller(slug), roles: ['admin', 'viewer'] }));
  });
});
