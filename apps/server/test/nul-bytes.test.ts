import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

const NUL = '\u0000';

type Problem = { status: number; errors?: Array<{ field: string; message: string }> };

describe(`NUL bytes in input on ${testDbKind()}`, () => {
  let database: Database;
  let t: TestApp;
  let tenant: TenantRecord;
  let admin: string;
  let qualificationId: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    t = await createTestApp(database);
    tenant = await createTestTenant(database, 'nul');
    admin = await t.identity.token({ roles: ['admin'], tenant: tenant.slug });
    const q = await t.app.inject({
      method: 'POST',
      url: '/api/v1/qualifications',
      headers: { authorization: `Bearer ${admin}` },
      payload: { code: 'CDL-A', name: 'CDL A' },
    });
    qualificationId = q.json<{ id: string }>().id;
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  const send = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${admin}`, ...headers },
      ...(payload !== undefined ? { payload: payload as string } : {}),
    });
  const auditHead = async () => {
    const result = await verifyAuditChain(database.db, tenant.slug);
    expect(result.ok).toBe(true);
    return result.headSequence;
  };

  it.each([
    ['POST', '/api/v1/sites', { name: `Yard${NUL}`, address: '1 Road' }, 'name'],
    ['POST', '/api/v1/sites', { name: 'Yard', address: '1 Road', notes: `a${NUL}b` }, 'notes'],
    ['POST', '/api/v1/qualifications', { code: 'HAZ', name: `Haz${NUL}mat` }, 'name'],
    ['POST', '/api/v1/drivers', { name: 'Ann', employeeNo: `E${NUL}1` }, 'employeeNo'],
    ['POST', '/api/v1/webhooks', { url: `https://93.184.215.14/a${NUL}b`, eventTypes: ['*'] }, 'url'],
    ['POST', '/api/v1/identity-providers', { issuer: `https://93.184.215.14/realms/a${NUL}`, audience: 'x', roleMapping: {} }, 'issuer'],
    [
      'POST',
      '/api/v1/identity-providers',
      { issuer: 'https://93.184.215.14/realms/a', audience: 'x', roleMapping: { [`boss${NUL}`]: 'admin' } },
      'roleMapping',
    ],
    ['POST', '/api/v1/users', { email: 'a@example.test', name: `A${NUL}`, roles: ['viewer'] }, 'name'],
  ] as const)('%s %s refuses a NUL with 400 naming the field (%#)', async (method, url, payload, field) => {
    const before = await auditHead();
    const response = await send(method, url, payload);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(
      response
        .json<Problem>()
        .errors?.map((e) => e.field)
        .join(' '),
      response.body,
    ).toContain(field);
    expect(await auditHead()).toBe(before);
  });

  it('refuses a NUL in a query string and in a cursor with 400', async () => {
    const search = await send('GET', `/api/v1/sites?q=${encodeURIComponent(`ya${NUL}rd`)}`);
    expect(search.statusCode).toBe(400);
    expect(search.json<Problem>().errors?.[0]?.field).toContain('q');
    const cursor = Buffer.from(JSON.stringify({ k: `a${NUL}`, id: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    const page = await send('GET', `/api/v1/sites?cursor=${cursor}`);
    expect(page.statusCode).toBe(400);
    expect(page.json<Problem>().errors?.[0]?.field).toBe('cursor');
  });

  it('keeps a NUL in the User-Agent out of the audit trail instead of failing the request', async () => {
    const response = await send('POST', '/api/v1/qualifications', { code: 'UA', name: 'User agent' }, { 'user-agent': `probe${NUL}/1` });
    expect(response.statusCode).toBe(201);
  });

  it('CSV import: the dry run names the line and column of a NUL, and the commit refuses the file', async () => {
    const csv = `name,employee_no,qualifications\nAnn,E1,CDL-A\nBob${NUL},E2,\n`;
    const dry = await send('POST', '/api/v1/imports/drivers?dryRun=true', csv, { 'content-type': 'text/csv' });
    expect(dry.statusCode).toBe(200);
    expect(dry.json<{ errors: Problem['errors'] }>().errors).toEqual([{ field: 'line 3: name', message: 'contains a NUL character' }]);
    const commit = await send('POST', '/api/v1/imports/drivers', csv, { 'content-type': 'text/csv' });
    expect(commit.statusCode).toBe(422);
    const drivers = await send('GET', '/api/v1/drivers');
    expect(drivers.json<{ items: unknown[] }>().items).toEqual([]);
    expect(qualificationId).toBeTruthy();
  });
});
