import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriverActionResult, DriverJobs, StoredFileView } from '@yardmaster/contracts';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { folderStorage, type FileStore } from '../src/modules/files/index.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestIdentity, type TestIdentity } from './support/identity.js';
import { pdfText } from './support/pdf.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, type Fleet } from './support/fleet.js';

const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

describe(`driver app, proof and files on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let filesDir: string;
  let store: FileStore;

  beforeAll(async () => {
    database = await openTestDatabase();
    identity = await createTestIdentity();
    filesDir = mkdtempSync(path.join(tmpdir(), 'ym-files-'));
    store = { storage: folderStorage(filesDir), defaultQuotaBytes: 50 * 1024 * 1024 };
    app = await buildApp({
      config: loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', SEED_DEMO: 'false' }),
      database,
      trustedIssuer: identity.trusted,
      webDir: '/nonexistent',
      fileStore: store,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await database.close();
    rmSync(filesDir, { recursive: true, force: true });
  });

  type World = {
    slug: string;
    fleet: Fleet;
    dispatcher: string;
    admin: string;
    driver: string;
    other: string;
    workOrderId: string;
    dispatchId: string;
  };
  async function world(): Promise<World> {
    const tenant = await createTestTenant(database, 'drv');
    const slug = tenant.slug;
    const fleet = await buildFleet(database, slug, {
      types: { TIPPER: ['CDL'] },
      equipment: { TIPPER: 1 },
      drivers: [{ quals: ['CDL'] }, { quals: [], name: 'Other' }],
    });
    await withTenant(database.db, slug, async (tx) => {
      await sql`update sites set contact_name = 'Quinn Foreman', contact_phone = '+44 161 555 0142', notes = 'Gate code 4711; report to the cabin' where id = ${fleet.siteId}`.execute(
        tx,
      );
      await sql`update equipment set lat = 53.47, lng = -2.25`.execute(tx);
    });
    const dispatcher = await identity.token({ roles: ['dispatcher'], tenant: slug });
    const admin = await identity.token({ roles: ['admin'], tenant: slug });
    const driver = await identity.token({ roles: ['driver'], tenant: slug, sub: fleet.driverSubjects[0] });
    const other = await identity.token({ roles: ['driver'], tenant: slug, sub: fleet.driverSubjects[1] });
    const wo = await app.inject({
      method: 'POST',
      url: '/api/v1/work-orders',
      headers: { authorization: `Bearer ${dispatcher}` },
      payload: {
        siteId: fleet.siteId,
        description: 'Move 40 t of gravel to the north pad',
        notes: 'office note, not for the card',
        priority: 'standard',
        lines: [{ equipmentTypeId: fleet.typeIds.TIPPER, quantity: 1 }],
      },
    });
    expect(wo.statusCode).toBe(201);
    const body = wo.json<{ id: string; dispatchIds: string[] }>();
    return { slug, fleet, dispatcher, admin, driver, other, workOrderId: body.id, dispatchId: body.dispatchIds[0] ?? '' };
  }
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const act = (w: World, token: string, action: string, extra: Record<string, unknown> = {}, id = randomUUID()) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/me/driver/actions',
      headers: as(token),
      payload: { id, dispatchId: w.dispatchId, action, occurredAt: new Date(Date.now() - 60_000).toISOString(), ...extra },
    });
  const auditCount = (slug: string, action: string) =>
    withTenant(
      database.db,
      slug,
      async (tx) =>
        (await sql<{ n: number }>`select count(*)::int as n from audit_events where action = ${action}`.execute(tx)).rows[0]?.n ?? 0,
    );

  it('the job card names the machine (code, type, where it is parked), the work description, the site with contact and access notes, and the start', async () => {
    const w = await world();
    const jobs = (await app.inject({ method: 'GET', url: '/api/v1/me/driver/jobs', headers: as(w.driver) })).json<DriverJobs>();
    expect(jobs.current).toMatchObject({
      dispatch: { id: w.dispatchId, status: 'dispatched' },
      workOrder: { description: 'Move 40 t of gravel to the north pad' },
      equipment: { assetTag: 'TIPPER-1', typeCode: 'TIPPER', parkedAt: { lat: 53.47, lng: -2.25 } },
      site: {
        name: 'Test Site',
        address: '1 Test Street',
        position: { lat: 53.48, lng: -2.24 },
        contactName: 'Quinn Foreman',
        contactPhone: '+44 161 555 0142',
        accessNotes: 'Gate code 4711; report to the cabin',
      },
    });
    expect(Date.parse(jobs.current?.scheduledStart ?? '')).not.toBeNaN();
    expect(jobs.upcoming).toEqual([]);
    const none = (await app.inject({ method: 'GET', url: '/api/v1/me/driver/jobs', headers: as(w.other) })).json<DriverJobs>();
    expect(none.current).toBeNull();
  });

  it('applies queued actions in order, once each however often they are replayed, keeping occurredAt beside receivedAt', async () => {
    const w = await world();
    const first = randomUUID();
    const occurredAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const a = await act(w, w.driver, 'en_route', { occurredAt }, first);
    expect(a.statusCode).toBe(200);
    expect(a.json<DriverActionResult>()).toMatchObject({ outcome: 'applied', dispatch: { status: 'en_route' }, occurredAt });
    const b = await act(w, w.driver, 'on_site', {}, randomUUID());
    expect(b.json<DriverActionResult>()).toMatchObject({ outcome: 'applied', dispatch: { status: 'on_site' } });
    const version = b.json<DriverActionResult>().dispatch?.version;
    // The first action replayed twice (the phone never saw the answer): same answer, nothing applied again.
    for (let i = 0; i < 2; i++) {
      const replay = await act(w, w.driver, 'en_route', { occurredAt }, first);
      expect(replay.statusCode).toBe(200);
      expect(replay.json<DriverActionResult>()).toMatchObject({
        id: first,
        outcome: 'applied',
        occurredAt,
        receivedAt: a.json<DriverActionResult>().receivedAt,
      });
      expect(replay.json<DriverActionResult>().dispatch).toMatchObject({ status: 'on_site', version });
    }
    expect(await auditCount(w.slug, 'dispatch.en_route')).toBe(1);
    const stored = await withTenant(
      database.db,
      w.slug,
      async (tx) =>
        (
          await sql<{
            occurred_at: Date;
            received_at: Date;
          }>`select occurred_at, received_at from driver_actions where id = ${first}`.execute(tx)
        ).rows[0],
    );
    expect(stored?.occurred_at.toISOString()).toBe(occurredAt);
    expect(stored!.received_at.getTime()).toBeGreaterThan(stored!.occurred_at.getTime());
    // The same id for another action is a client bug, said so.
    expect((await act(w, w.driver, 'returning', {}, first)).statusCode).toBe(422);
    // Another driver cannot see or replay it.
    expect((await app.inject({ method: 'GET', url: `/api/v1/me/driver/actions/${first}`, headers: as(w.other) })).statusCode).toBe(404);
  });

  it('two copies of one action sent at the same moment are applied once', async () => {
    const w = await world();
    const id = randomUUID();
    const [a, b] = await Promise.all([act(w, w.driver, 'en_route', {}, id), act(w, w.driver, 'en_route', {}, id)]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.json<DriverActionResult>().receivedAt).toBe(b.json<DriverActionResult>().receivedAt);
    expect(await auditCount(w.slug, 'dispatch.en_route')).toBe(1);
  });

  it('refuses a queued action on a job recalled meanwhile, and says why', async () => {
    const w = await world();
    const recall = await app.inject({
      method: 'POST',
      url: `/api/v1/dispatches/${w.dispatchId}/recall`,
      headers: { ...as(w.dispatcher), 'if-match': '"2"' },
      payload: { reason: 'customer postponed the pour' },
    });
    expect(recall.statusCode).toBe(200);
    const refused = await act(w, w.driver, 'en_route');
    expect(refused.statusCode).toBe(200);
    expect(refused.json<DriverActionResult>()).toMatchObject({ outcome: 'refused', dispatch: { status: 'recalled' } });
    expect(refused.json<DriverActionResult>().reason).toMatch(/Recalled by the dispatcher.*customer postponed the pour/);
    expect(await auditCount(w.slug, 'dispatch.driver_action_refused')).toBe(1);
    // Someone else's dispatch: 404, as if it did not exist.
    expect((await act(w, w.other, 'en_route')).statusCode).toBe(404);
  });

  it('undoes a travel step within 10 s while nothing depends on it, and not otherwise', async () => {
    const w = await world();
    const tap = (await act(w, w.driver, 'en_route')).json<DriverActionResult>();
    expect(tap.undoableUntil).not.toBeNull();
    const undo = await app.inject({ method: 'POST', url: `/api/v1/me/driver/actions/${tap.id}/undo`, headers: as(w.driver) });
    expect(undo.statusCode).toBe(200);
    expect(undo.json<DriverActionResult>()).toMatchObject({
      undone: true,
      dispatch: { status: 'dispatched', timestamps: { enRouteAt: null } },
    });
    // A later step exists: the earlier one cannot be undone.
    const again = (await act(w, w.driver, 'en_route')).json<DriverActionResult>();
    await act(w, w.driver, 'on_site');
    expect(
      (await app.inject({ method: 'POST', url: `/api/v1/me/driver/actions/${again.id}/undo`, headers: as(w.driver) })).statusCode,
    ).toBe(409);
    // Older than 10 s: too late.
    const late = (await act(w, w.driver, 'returning')).json<DriverActionResult>();
    await withTenant(database.db, w.slug, (tx) =>
      sql`update driver_actions set received_at = received_at - interval '11 seconds' where id = ${late.id}`.execute(tx),
    );
    const tooLate = await app.inject({ method: 'POST', url: `/api/v1/me/driver/actions/${late.id}/undo`, headers: as(w.driver) });
    expect(tooLate.statusCode).toBe(409);
    expect(tooLate.json<{ detail: string }>().detail).toMatch(/10 seconds/);
    // Completion frees the machine and driver at once: never undoable.
    const done = (await act(w, w.driver, 'completed')).json<DriverActionResult>();
    expect(done).toMatchObject({ outcome: 'applied', undoableUntil: null });
    expect((await app.inject({ method: 'POST', url: `/api/v1/me/driver/actions/${done.id}/undo`, headers: as(w.driver) })).statusCode).toBe(
      409,
    );
  });

  it('goes on and off duty with a note; off duty no position is recorded', async () => {
    const w = await world();
    const off = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/driver/duty',
      headers: as(w.other),
      payload: { dutyStatus: 'off_duty', note: 'end of shift' },
    });
    expect(off.json()).toMatchObject({ dutyStatus: 'off_duty' });
    const position = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/driver/position',
      headers: as(w.other),
      payload: { lat: 53.4, lng: -2.2 },
    });
    expect(position.statusCode).toBe(409);
    expect(position.json<{ detail: string }>().detail).toMatch(/off duty/);
    await app.inject({ method: 'PUT', url: '/api/v1/me/driver/duty', headers: as(w.other), payload: { dutyStatus: 'on_duty' } });
    expect(
      (await app.inject({ method: 'PUT', url: '/api/v1/me/driver/position', headers: as(w.other), payload: { lat: 53.4, lng: -2.2 } }))
        .statusCode,
    ).toBe(200);
  });

  it('completes with proof as the tenant requires: photos and a signature with the signer, stored with the dispatch', async () => {
    const w = await world();
    expect(
      (
        await app.inject({
          method: 'PATCH',
          url: '/api/v1/settings/proof',
          headers: as(w.admin),
          payload: { photos: 'required', signature: 'required' },
        })
      ).json(),
    ).toMatchObject({ photos: 'required', signature: 'required', notes: 'optional' });
    const missing = await act(w, w.driver, 'completed', { notes: 'done' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual([
      'proof.photoIds',
      'proof.signatureId',
    ]);
    const photoId = randomUUID();
    const signatureId = randomUUID();
    const put = (kind: string, id: string, body: Buffer, type: string, token = w.driver) =>
      app.inject({
        method: 'PUT',
        url: `/api/v1/dispatches/${w.dispatchId}/proof/${kind}/${id}`,
        headers: { ...as(token), 'content-type': type },
        payload: body,
      });
    expect((await put('photos', photoId, PDF, 'image/png')).statusCode).toBe(415); // a PDF dressed as a photo
    expect((await put('signatures', signatureId, PNG_1x1, 'image/png', w.other)).statusCode).toBe(404);
    expect((await put('photos', photoId, PNG_1x1, 'image/png')).statusCode).toBe(200);
    expect((await put('photos', photoId, PNG_1x1, 'image/png')).statusCode).toBe(200); // a retried upload stores once
    expect((await put('signatures', signatureId, PNG_1x1, 'image/png')).statusCode).toBe(200);
    const done = await act(w, w.driver, 'completed', {
      proof: { photoIds: [photoId], signatureId, signerName: 'Quinn Foreman', notes: 'Left at the north pad' },
    });
    expect(done.json<DriverActionResult>()).toMatchObject({ outcome: 'applied', dispatch: { status: 'completed' } });
    const proof = await app.inject({ method: 'GET', url: `/api/v1/dispatches/${w.dispatchId}/proof`, headers: as(w.dispatcher) });
    expect(proof.json()).toMatchObject({
      signerName: 'Quinn Foreman',
      notes: 'Left at the north pad',
      photos: [{ id: photoId, contentType: 'image/png' }],
      signature: { id: signatureId },
    });
    const image = await app.inject({
      method: 'GET',
      url: `/api/v1/dispatches/${w.dispatchId}/proof/files/${photoId}/content`,
      headers: as(w.driver),
    });
    expect(image.rawPayload.equals(PNG_1x1)).toBe(true);
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/dispatches/${w.dispatchId}/proof/files/${photoId}/content`, headers: as(w.other) }))
        .statusCode,
    ).toBe(404);

    // Printed in the PDF status report: the signer, the notes, and the signature and photo as images.
    const reports = await app.inject({ method: 'GET', url: `/api/v1/reports?workOrderId=${w.workOrderId}`, headers: as(w.dispatcher) });
    const reportId = reports.json<{ items: Array<{ id: string }> }>().items[0]?.id;
    const pdf = await app.inject({ method: 'GET', url: `/api/v1/reports/${reportId}/pdf`, headers: as(w.dispatcher) });
    expect(pdf.statusCode).toBe(200);
    const text = pdfText(pdf.rawPayload);
    expect(text).toContain('Proof of completion');
    expect(text).toContain('Signed by Quinn Foreman');
    expect(text).toContain('Left at the north pad');
    expect(pdf.rawPayload.toString('latin1').match(/\/Subtype \/Image/g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('attachments: 1 byte to 10 MB, type from the bytes, drivers only for their own jobs, audited delete, per-tenant quota', async () => {
    const w = await world();
    const upload = (body: Buffer, type: string, token = w.dispatcher, workOrderId = w.workOrderId) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/work-orders/${workOrderId}/attachments?filename=delivery%20details.pdf`,
        headers: { ...as(token), 'content-type': type },
        payload: body,
      });
    const created = await upload(PDF, 'application/pdf');
    expect(created.statusCode).toBe(201);
    const file = created.json<StoredFileView>();
    expect(file).toMatchObject({ filename: 'delivery details.pdf', contentType: 'application/pdf', sizeBytes: PDF.length });
    expect(readdirSync(path.join(filesDir, 'tenants', w.slug, 'work-orders', w.workOrderId))).toEqual([file.id]);

    expect((await upload(Buffer.from('MZ\x90\x00\x03\x00binary'), 'application/pdf')).statusCode).toBe(415); // an executable
    expect((await upload(PDF, 'image/jpeg')).statusCode).toBe(415); // disguised
    expect((await upload(Buffer.alloc(0), 'application/pdf')).statusCode).toBe(400);
    const big = await upload(Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024)]), 'application/pdf');
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toContain('application/problem+json');

    const list = await app.inject({ method: 'GET', url: `/api/v1/work-orders/${w.workOrderId}/attachments`, headers: as(w.driver) });
    expect(list.json<{ items: StoredFileView[] }>().items.map((f) => f.id)).toEqual([file.id]);
    const url = `/api/v1/work-orders/${w.workOrderId}/attachments/${file.id}/content`;
    const download = await app.inject({ method: 'GET', url, headers: as(w.driver) });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toContain('delivery details.pdf');
    expect(download.rawPayload.equals(PDF)).toBe(true);
    expect((await app.inject({ method: 'GET', url, headers: as(w.other) })).statusCode).toBe(404); // not their job

    // Another tenant's work order and file: 404, whatever ids are sent.
    const stranger = await world();
    expect((await app.inject({ method: 'GET', url, headers: as(stranger.dispatcher) })).statusCode).toBe(404);
    expect((await upload(PDF, 'application/pdf', stranger.dispatcher)).statusCode).toBe(404);
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/v1/work-orders/${w.workOrderId}/attachments/${file.id}`,
          headers: as(stranger.dispatcher),
        })
      ).statusCode,
    ).toBe(404);

    // Quota: an upload that would exceed it is refused and stores nothing.
    await app.inject({ method: 'PATCH', url: '/api/v1/settings/files', headers: as(w.admin), payload: { quotaBytes: PDF.length + 10 } });
    const over = await upload(PDF, 'application/pdf');
    expect(over.statusCode).toBe(413);
    expect(over.json<{ detail: string }>().detail).toMatch(/quota/);
    expect(readdirSync(path.join(filesDir, 'tenants', w.slug, 'work-orders', w.workOrderId))).toEqual([file.id]);

    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/v1/work-orders/${w.workOrderId}/attachments/${file.id}`,
          headers: as(w.dispatcher),
        })
      ).statusCode,
    ).toBe(204);
    expect((await app.inject({ method: 'GET', url, headers: as(w.dispatcher) })).statusCode).toBe(404);
    expect(readdirSync(path.join(filesDir, 'tenants', w.slug, 'work-orders', w.workOrderId))).toEqual([]);
    expect(await auditCount(w.slug, 'file.attachment_deleted')).toBe(1);
  });

  it('an upload cut off halfway stores nothing', async () => {
    const w = await world();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /api/v1/work-orders/${w.workOrderId}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.dispatcher}\r\nContent-Type: application/pdf\r\nContent-Length: 2000000\r\n\r\n`,
        );
        socket.write(Buffer.concat([PDF, Buffer.alloc(500_000)]), () => setTimeout(() => socket.destroy(), 200));
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 300));
    const rows = await withTenant(
      database.db,
      w.slug,
      async (tx) => (await sql<{ n: number }>`select count(*)::int as n from files`.execute(tx)).rows[0]?.n,
    );
    expect(rows).toBe(0);
    expect(() => readdirSync(path.join(filesDir, 'tenants', w.slug))).toThrow(/ENOENT/);
  });

  it('links related work orders, shown on both and removable', async () => {
    const w = await world();
    const second = await app.inject({
      method: 'POST',
      url: '/api/v1/work-orders',
      headers: as(w.dispatcher),
      payload: {
        siteId: w.fleet.siteId,
        description: 'Second machine for the same pour',
        priority: 'standard',
        lines: [{ equipmentTypeId: w.fleet.typeIds.TIPPER, quantity: 1 }],
      },
    });
    const secondId = second.json<{ id: string }>().id;
    const linked = await app.inject({
      method: 'PUT',
      url: `/api/v1/work-orders/${w.workOrderId}/related/${secondId}`,
      headers: as(w.dispatcher),
    });
    expect(linked.json<{ items: Array<{ id: string }> }>().items.map((i) => i.id)).toEqual([secondId]);
    const back = await app.inject({ method: 'GET', url: `/api/v1/work-orders/${secondId}/related`, headers: as(w.dispatcher) });
    expect(back.json<{ items: Array<{ id: string; description: string }> }>().items).toMatchObject([
      { id: w.workOrderId, description: 'Move 40 t of gravel to the north pad' },
    ]);
    expect(
      (await app.inject({ method: 'PUT', url: `/api/v1/work-orders/${w.workOrderId}/related/${w.workOrderId}`, headers: as(w.dispatcher) }))
        .statusCode,
    ).toBe(422);
    expect(
      (await app.inject({ method: 'PUT', url: `/api/v1/work-orders/${w.workOrderId}/related/${randomUUID()}`, headers: as(w.dispatcher) }))
        .statusCode,
    ).toBe(404);
    const card = (await app.inject({ method: 'GET', url: '/api/v1/me/driver/jobs', headers: as(w.driver) })).json<DriverJobs>();
    expect(card.current?.related).toEqual([{ id: secondId, number: second.json<{ number: string }>().number }]);
    await app.inject({ method: 'DELETE', url: `/api/v1/work-orders/${secondId}/related/${w.workOrderId}`, headers: as(w.dispatcher) });
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/work-orders/${w.workOrderId}/related`, headers: as(w.dispatcher) })).json(),
    ).toEqual({ items: [] });
  });
});
