import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, AuditVerifyResult, Problem, Role } from '@yardmaster/contracts';
import type { Caller } from '../src/platform/caller.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { recordAudit, recordAuditBatch } from '../src/modules/audit/index.js';
import { openAuditExport } from '../src/modules/audit/audit.export.js';
import type { TestIdentity } from './support/identity.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

const caller = (tenantSlug: string, subject: string, roles: string[] = ['dispatcher']): Caller => ({
  kind: 'user',
  subject,
  name: `Name of ${subject}`,
  roles,
  tenantSlug,
  requestId: null,
  sourceIp: null,
  userAgent: null,
});

/** Parses RFC 4180 CSV (quoted fields with doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}

describe(`audit HTTP API on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let tenant: TenantRecord;
  const tokenFor = (role: Role, sub = `${role}-1`): Promise<string> => identity.token({ roles: [role], tenant: tenant.slug, sub });
  const get = async (url: string, role: Role = 'admin') =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await tokenFor(role)}` } });

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    tenant = await createTestTenant(database, 'ah');
    await withTenant(database.db, tenant.slug, async (tx) => {
      await recordAudit(tx, caller(tenant.slug, 'disp-a'), {
        action: 'job.created',
        entityType: 'job',
        entityId: 'j1',
        after: { title: 'Lift, "big" one\nline 2' },
      });
      await recordAudit(tx, caller(tenant.slug, 'disp-b'), {
        action: 'job.created',
        entityType: 'job',
        entityId: 'j2',
        after: { title: 'Small' },
      });
      await recordAudit(tx, caller(tenant.slug, 'disp-a'), {
        action: 'job.updated',
        entityType: 'job',
        entityId: 'j1',
        before: { title: 'x', v: 1 },
        after: { title: 'y', v: 1 },
      });
      await recordAudit(tx, caller(tenant.slug, 'admin-1', ['admin']), {
        action: 'equipment.created',
        entityType: 'equipment',
        entityId: 'e1',
        after: { tag: 'C-1' },
      });
    });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('admins and viewers read the trail; dispatchers and drivers get 403', async () => {
    for (const role of ['admin', 'viewer'] as const) {
      const res = await get('/api/v1/audit', role);
      expect(res.statusCode, role).toBe(200);
      expect(res.json<AuditPage>().items.map((e: { sequence: number }) => e.sequence)).toEqual([4, 3, 2, 1]);
    }
    for (const role of ['dispatcher', 'driver'] as const) {
      for (const url of [
        '/api/v1/audit',
        '/api/v1/audit/export?format=csv',
        '/api/v1/audit/entities/job/j1/history',
        '/api/v1/audit/verify',
      ]) {
        const res = await get(url, role);
        expect(res.statusCode, `${role} ${url}`).toBe(403);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/audit' })).statusCode).toBe(401);
  });

  it("dispatchers read a work order's and a dispatch's own history (the work-order page), nothing else of the trail", async () => {
    for (const path of ['work-orders', 'dispatches']) {
      for (const role of ['dispatcher', 'viewer', 'admin'] as const) {
        const res = await get(`/api/v1/${path}/${randomUUID()}/history`, role);
        expect(res.statusCode, `${role} ${path}`).toBe(200);
        expect(res.json<AuditPage>()).toEqual({ items: [], nextCursor: null });
      }
      expect((await get(`/api/v1/${path}/${randomUUID()}/history`, 'driver')).statusCode).toBe(403);
      expect((await get(`/api/v1/${path}/not-an-id/history`, 'dispatcher')).statusCode).toBe(400);
    }
    expect((await get('/api/v1/audit/entities/work_order/' + randomUUID() + '/history', 'dispatcher')).statusCode).toBe(403);
  });

  it('documents its routes in the OpenAPI description', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/audit',
        '/api/v1/audit/verify',
        '/api/v1/audit/export',
        '/api/v1/audit/entities/{entityType}/{entityId}/history',
      ]),
    );
  });

  it('verification is for admins only', async () => {
    expect((await get('/api/v1/audit/verify', 'viewer')).statusCode).toBe(403);
    const res = await get('/api/v1/audit/verify', 'admin');
    expect(res.statusCode).toBe(200);
    expect(res.json<AuditVerifyResult>()).toMatchObject({ ok: true, checked: 4, headSequence: 4, firstBroken: null });
  });

  it('filters by entity, actor, action and time; pages by sequence', async () => {
    const byEntity = (await get('/api/v1/audit?entityType=job&entityId=j1&order=asc')).json<AuditPage>();
    expect(byEntity.items.map((e: { action: string }) => e.action)).toEqual(['job.created', 'job.updated']);
    expect(byEntity.items[1]).toMatchObject({ before: { title: 'x' }, after: { title: 'y' }, actor: { subject: 'disp-a', kind: 'user' } });
    expect((await get('/api/v1/audit?actor=disp-b')).json<AuditPage>().items.map((e: { entityId: string }) => e.entityId)).toEqual(['j2']);
    expect((await get('/api/v1/audit?action=job.created')).json<AuditPage>().items).toHaveLength(2);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await get(`/api/v1/audit?from=${encodeURIComponent(future)}`)).json<AuditPage>().items).toEqual([]);
    expect((await get(`/api/v1/audit?to=${encodeURIComponent(future)}`)).json<AuditPage>().items).toHaveLength(4);

    const first = (await get('/api/v1/audit?limit=3')).json<AuditPage>();
    expect(first.items.map((e: { sequence: number }) => e.sequence)).toEqual([4, 3, 2]);
    expect(first.nextCursor).toBe('2');
    const second = (await get(`/api/v1/audit?limit=3&cursor=${first.nextCursor ?? ''}`)).json<AuditPage>();
    expect(second).toEqual({ items: [expect.objectContaining({ sequence: 1 })], nextCursor: null });
  });

  it('bad filters answer 400 problem+json with field errors', async () => {
    for (const url of [
      '/api/v1/audit?cursor=abc',
      '/api/v1/audit?from=yesterday',
      '/api/v1/audit?limit=0',
      '/api/v1/audit/export?format=xml',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json<Problem>().errors?.length, url).toBeGreaterThan(0);
    }
    const empty = await get('/api/v1/audit/export?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(empty.statusCode).toBe(400);
    expect(empty.json<Problem>().errors).toEqual([{ field: 'to', message: 'must be after from' }]);
  });

  it("an entity's history, oldest first", async () => {
    const res = await get('/api/v1/audit/entities/job/j1/history', 'viewer');
    expect(res.statusCode).toBe(200);
    expect(res.json<AuditPage>().items.map((e: { sequence: number }) => e.sequence)).toEqual([1, 3]);
    expect((await get('/api/v1/audit/entities/job/nope/history')).json<AuditPage>()).toEqual({ items: [], nextCursor: null });
  });

  it('exports CSV with correct escaping and JSON lines', async () => {
    const csv = await get('/api/v1/audit/export?format=csv&entityType=job', 'viewer');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('attachment');
    const records = parseCsv(csv.body);
    expect(records[0]?.slice(0, 3)).toEqual(['sequence', 'occurred_at', 'actor_kind']);
    expect(records).toHaveLength(4);
    const after = records[1]?.[10] ?? '';
    expect(JSON.parse(after)).toEqual({ title: 'Lift, "big" one\nline 2' });
    expect(records.every((r) => r.length === 16)).toBe(true);

    const jsonl = await get('/api/v1/audit/export?format=jsonl');
    expect(jsonl.headers['content-type']).toContain('application/x-ndjson');
    const lines = jsonl.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { sequence: number; hash: string });
    expect(lines.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
  });

  it('streams a large export in batches (20,000 events)', async () => {
    const big = await createTestTenant(database, 'ab');
    const who = caller(big.slug, 'importer', ['admin']);
    for (let start = 0; start < 20_000; start += 5_000) {
      await withTenant(database.db, big.slug, (tx) =>
        recordAuditBatch(
          tx,
          who,
          Array.from({ length: 5_000 }, (_, i) => ({
            action: 'job.imported',
            entityType: 'job',
            entityId: `j${start + i}`,
            after: { n: start + i, note: 'a,b' },
          })),
        ),
      );
    }
    // The export is produced lazily, one batch of at most 1,000 events per chunk.
    const chunks = await openAuditExport(database.db, big.slug, { format: 'jsonl' });
    let count = 0;
    let largest = 0;
    for await (const chunk of chunks) {
      const n = chunk.split('\n').length - 1;
      count += 1;
      largest = Math.max(largest, n);
    }
    expect({ count, largest }).toEqual({ count: 20, largest: 1000 });

    const token = await identity.token({ roles: ['viewer'], tenant: big.slug });
    const csv = await app.inject({ method: 'GET', url: '/api/v1/audit/export?format=csv', headers: { authorization: `Bearer ${token}` } });
    expect(csv.statusCode).toBe(200);
    const rows = parseCsv(csv.body);
    expect(rows).toHaveLength(20_001);
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    const jsonl = await app.inject({
      method: 'GET',
      url: '/api/v1/audit/export?format=jsonl&action=job.imported',
      headers: { authorization: `Bearer ${token}` },
    });
    const lines = jsonl.body.trimEnd().split('\n');
    expect(lines).toHaveLength(20_000);
    expect(JSON.parse(lines[19_999] ?? '{}')).toMatchObject({ sequence: 20_000, entityId: 'j19999' });
    const admin = await identity.token({ roles: ['admin'], tenant: big.slug });
    const verify = await app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { authorization: `Bearer ${admin}` } });
    expect(verify.json<AuditVerifyResult>()).toMatchObject({ ok: true, checked: 20_000 });
  });
});
