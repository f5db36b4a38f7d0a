import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { openTestDatabase, testDbKind, uniqueSlug } from '../../../test/support/db.js';
import type { TestIdentity } from '../../../test/support/identity.js';
import { listTenants, type Database } from '../db/index.js';

describe(`HTTP platform on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let operator: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    operator = await identity.token({ roles: ['operator'] });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('answers /healthz and /readyz', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: true, migrations: true } });
  });

  it('serves Prometheus metrics with an HTTP latency histogram', async () => {
    await app.inject('/healthz');
    const res = await app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/healthz"/);
  });

  it('publishes an OpenAPI 3.1 document and the Swagger UI at /docs', async () => {
    const spec = (await app.inject('/docs/json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toContain('/api/v1/platform/tenants');
    const ui = await app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('answers a bad request with problem+json naming each field, and writes nothing', async () => {
    const before = (await listTenants(database.db)).length;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/platform/tenants',
      headers: { authorization: `Bearer ${operator}` },
      payload: { slug: 'Bad Slug!', name: '', timeZone: 'Mars/Olympus' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json<{ type: string; title: string; status: number; detail: string; errors: Array<{ field: string }> }>();
    expect(body).toMatchObject({ type: '/problems/validation', title: 'Invalid request', status: 400 });
    expect(body.errors.map((e) => e.field).sort()).toEqual(['name', 'slug', 'timeZone']);
    expect((await listTenants(database.db)).length).toBe(before);
  });

  it('answers malformed JSON with a 400 problem, not a 500', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/platform/tenants',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      payload: '{"slug": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ type: '/problems/bad-request', status: 400 });
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await app.inject('/api/v1/nowhere');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ type: '/problems/not-found', status: 404 });
  });

  it('keeps a safe caller request id and echoes it; makes one otherwise', async () => {
    const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const made = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('requires a token (401) and the operator role (403) to create tenants', async () => {
    const anonymous = await app.inject({ method: 'POST', url: '/api/v1/platform/tenants', payload: { slug: 'x1', name: 'X' } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ type: '/problems/unauthorized' });
    const admin = await identity.token({ roles: ['admin'] });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/platform/tenants',
      headers: { authorization: `Bearer ${admin}` },
      payload: { slug: 'x1', name: 'X' },
    });
    expect(res.statusCode).toBe(403);
  });

  it('creates a tenant, and a second with the same slug gets 409 naming the field', async () => {
    const slug = uniqueSlug('op');
    const create = () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/platform/tenants',
        headers: { authorization: `Bearer ${operator}` },
        payload: { slug, name: 'Acme Utilities', timeZone: 'America/Chicago' },
      });
    const first = await create();
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ slug, name: 'Acme Utilities', timeZone: 'America/Chicago' });
    const second = await create();
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ status: 409, errors: [{ field: 'slug' }] });
  });
});
