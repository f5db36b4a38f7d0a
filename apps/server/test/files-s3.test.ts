import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredFileView } from '@yardmaster/contracts';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { fileStoreFromConfig } from '../src/modules/files/index.js';
import type { Database } from '../src/platform/db/index.js';
import { createTestIdentity, type TestIdentity } from './support/identity.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet } from './support/fleet.js';

const PORT = 20600 + (process.pid % 300);

describe(`attachments in S3 (s3rver) on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let server: S3rver;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ym-s3-app-'));
    server = new S3rver({
      port: PORT,
      address: '127.0.0.1',
      directory: dir,
      silent: true,
      configureBuckets: [{ name: 'ym-files', configs: [] }],
    });
    await server.run();
    database = await openTestDatabase();
    identity = await createTestIdentity();
    // The configured way: STORAGE=s3 with endpoint, bucket and credentials from the environment.
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      SEED_DEMO: 'false',
      STORAGE: 's3',
      S3_ENDPOINT: `http://127.0.0.1:${PORT}`,
      S3_BUCKET: 'ym-files',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    const fileStore = await fileStoreFromConfig(config);
    expect(fileStore.storage.kind).toBe('s3');
    app = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent', fileStore });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await database.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the bytes in the bucket under tenants/{tenant}/work-orders/{id}/ and downloads through a short-lived pre-signed URL', async () => {
    const tenant = await createTestTenant(database, 's3');
    const fleet = await buildFleet(database, tenant.slug, { types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [] });
    const dispatcher = await identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const as = { authorization: `Bearer ${dispatcher}` };
    const wo = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/work-orders',
        headers: as,
        payload: { siteId: fleet.siteId, description: 'Van', lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }] },
      })
    ).json<{ id: string }>();
    const bytes = Buffer.from('%PDF-1.4\n% drawing\n');
    const created = await app.inject({
      method: 'POST',
      url: `/api/v1/work-orders/${wo.id}/attachments?filename=drawing.pdf`,
      headers: { ...as, 'content-type': 'application/pdf' },
      payload: bytes,
    });
    expect(created.statusCode).toBe(201);
    const file = created.json<StoredFileView>();
    const listed = await fetch(`http://127.0.0.1:${PORT}/ym-files?list-type=2&prefix=tenants/${tenant.slug}/`);
    expect(await listed.text()).toContain(`<Key>tenants/${tenant.slug}/work-orders/${wo.id}/${file.id}</Key>`);

    const download = await app.inject({ method: 'GET', url: `/api/v1/work-orders/${wo.id}/attachments/${file.id}/content`, headers: as });
    expect(download.statusCode).toBe(302);
    const location = String(download.headers.location);
    expect(location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${PORT}/ym-files/tenants/${tenant.slug}/work-orders/`));
    expect(location).toContain('X-Amz-Expires=300');
    const fetched = await fetch(location);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);
    expect(fetched.headers.get('content-disposition')).toContain('drawing.pdf');

    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/work-orders/${wo.id}/attachments/${file.id}`, headers: as })).statusCode,
    ).toBe(204);
    const after = await fetch(`http://127.0.0.1:${PORT}/ym-files?list-type=2&prefix=tenants/${tenant.slug}/`);
    expect(await after.text()).not.toContain('<Key>');
  });
});
