import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { openTestDatabase, testDbKind } from './support/db.js';

describe(`reporting routes in the OpenAPI document on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app } = await createTestApp(database));
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('documents every reporting route', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json<{ paths: Record<string, unknown> }>().paths);
    for (const path of [
      '/api/v1/reports',
      '/api/v1/reports/{id}',
      '/api/v1/reports/{id}/pdf',
      '/api/v1/reports/{id}/json',
      '/api/v1/reports/{id}/notes',
      '/api/v1/analytics',
      '/api/v1/settings/retention',
    ]) {
      expect(paths, path).toContain(path);
    }
  });
});
