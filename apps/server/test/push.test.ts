import { createDecipheriv, createECDH, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createOutbound } from '../src/platform/net/outbound.js';
import { loadConfig } from '../src/config.js';
import { drainPush, loadVapidKeys, type VapidKeys } from '../src/modules/push/index.js';
import type { Database } from '../src/platform/db/index.js';
import { createTestIdentity, type TestIdentity } from './support/identity.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet } from './support/fleet.js';

const b64url = (b: Buffer): string => b.toString('base64url');
const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 8291 + RFC 8188 (aes128gcm), the user agent's side: what a browser does with a push message. */
function decryptPush(body: Buffer, ua: { ecdh: ReturnType<typeof createECDH>; auth: Buffer }): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const uaPublic = ua.ecdh.getPublicKey();
  const ecdhSecret = ua.ecdh.computeSecret(asPublic);
  const prkKey = hmac(ua.auth, ecdhSecret);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = hmac(prkKey, Buffer.concat([keyInfo, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  expect(plain[end]).toBe(2); // the last record's padding delimiter
  return plain.subarray(0, end).toString('utf8');
}

type Received = { headers: IncomingMessage['headers']; body: Buffer; url: string };

describe(`web push on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let keys: VapidKeys;
  let server: Server;
  let port = 0;
  const received: Received[] = [];
  // The platform's outbound guard (OUTBOUND_ALLOW) must let the server reach the test's push service on loopback.
  const allowLoopback = createOutbound({ allow: ['127.0.0.1'] });

  beforeAll(async () => {
    database = await openTestDatabase();
    identity = await createTestIdentity();
    keys = await loadVapidKeys({ publicKey: undefined, privateKey: undefined, subject: 'mailto:ops@yardmaster.test' }, null);
    app = await buildApp({
      config: loadConfig({
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
        SEED_DEMO: 'false',
        PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
        OUTBOUND_ALLOW: '127.0.0.1',
      }),
      database,
      trustedIssuer: identity.trusted,
      webDir: '/nonexistent',
      vapidKeys: keys,
      pushIntervalMs: 3_600_000,
    });
    await app.ready();
    // The test's own push service (a stand-in for FCM/Mozilla autopush) on a scratch port.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks), url: req.url ?? '' });
        res.statusCode = req.url?.includes('gone') ? 410 : 201;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(20300 + (process.pid % 300), '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app.close();
    await new Promise((r) => server.close(r));
    await allowLoopback.close();
    await database.close();
  });

  it('stores the subscription and sends a new-job push, VAPID-signed and encrypted for that browser only', async () => {
    const tenant = await createTestTenant(database, 'push');
    const fleet = await buildFleet(database, tenant.slug, { types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [] }] });
    const driver = await identity.token({ roles: ['driver'], tenant: tenant.slug, sub: fleet.driverSubjects[0] });
    const dispatcher = await identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const as = (t: string) => ({ authorization: `Bearer ${t}` });

    const key = await app.inject({ method: 'GET', url: '/api/v1/me/push/key', headers: as(driver) });
    expect(key.json()).toEqual({ publicKey: keys.publicKey });
    const ua = { ecdh: createECDH('prime256v1'), auth: randomBytes(16) };
    ua.ecdh.generateKeys();
    const endpoint = `http://127.0.0.1:${port}/push/${b64url(randomBytes(8))}`;
    const subscribe = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/push/subscription',
      headers: as(driver),
      payload: { endpoint, keys: { p256dh: b64url(ua.ecdh.getPublicKey()), auth: b64url(ua.auth) } },
    });
    expect(subscribe.statusCode).toBe(204);
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: '/api/v1/me/push/subscription',
          headers: as(dispatcher),
          payload: { endpoint, keys: { p256dh: b64url(ua.ecdh.getPublicKey()), auth: b64url(ua.auth) } },
        })
      ).statusCode,
    ).toBe(403);

    const wo = await app.inject({
      method: 'POST',
      url: '/api/v1/work-orders',
      headers: as(dispatcher),
      payload: {
        siteId: fleet.siteId,
        description: 'Deliver the pump',
        priority: 'urgent',
        lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
      },
    });
    const number = wo.json<{ number: string }>().number;
    received.length = 0;
    expect(await drainPush(database, tenant.slug, { keys, allowPrivateEndpoints: true, outbound: allowLoopback })).toBe(1);
    expect(received).toHaveLength(1);
    const push = received[0]!;
    expect(push.url).toBe(new URL(endpoint).pathname);
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(push.headers.ttl)).toBeGreaterThan(0);

    // VAPID: "vapid t=<ES256 JWT>, k=<the server's public key>"; the JWT is for this push service's origin.
    const auth = /^vapid t=([^,]+),\s*k=(.+)$/.exec(String(push.headers.authorization));
    expect(auth?.[2]).toBe(keys.publicKey);
    const raw = Buffer.from(auth![2]!, 'base64url');
    const publicKey = await importJWK(
      { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33, 65)) },
      'ES256',
    );
    const { payload, protectedHeader } = await jwtVerify(auth![1]!, publicKey, { audience: `http://127.0.0.1:${port}` });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe('mailto:ops@yardmaster.test');
    expect(payload.exp! - Date.now() / 1000).toBeLessThanOrEqual(24 * 3600);

    // Only this browser's keys open it.
    const message = JSON.parse(decryptPush(push.body, ua)) as { title: string; body: string; url: string };
    expect(message).toMatchObject({ title: `New job: ${number}`, url: '/driver' });
    const stranger = { ecdh: createECDH('prime256v1'), auth: randomBytes(16) };
    stranger.ecdh.generateKeys();
    expect(() => decryptPush(push.body, stranger)).toThrow();

    // Drained once: nothing is sent twice.
    expect(await drainPush(database, tenant.slug, { keys, allowPrivateEndpoints: true, outbound: allowLoopback })).toBe(0);

    // A recall is pushed with its reason (the line re-queues and, this being the only driver, comes straight back as a new job).
    const dispatchId = wo.json<{ dispatchIds: string[] }>().dispatchIds[0];
    await app.inject({
      method: 'POST',
      url: `/api/v1/dispatches/${dispatchId}/recall`,
      headers: { ...as(dispatcher), 'if-match': '"2"' },
      payload: { reason: 'site closed by the police' },
    });
    received.length = 0;
    await drainPush(database, tenant.slug, { keys, allowPrivateEndpoints: true, outbound: allowLoopback });
    expect(received.map((r) => JSON.parse(decryptPush(r.body, ua)) as { title: string; body: string })).toEqual([
      expect.objectContaining({ title: `Job recalled: ${number}`, body: 'Reason: site closed by the police' }),
      expect.objectContaining({ title: `New job: ${number}` }),
    ]);
  });

  it('refuses endpoints on private networks unless the operator allows them', async () => {
    const strict = await buildApp({
      config: loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', SEED_DEMO: 'false' }),
      database,
      trustedIssuer: identity.trusted,
      webDir: '/nonexistent',
      vapidKeys: keys,
      pushIntervalMs: 3_600_000,
    });
    await strict.ready();
    const tenant = await createTestTenant(database, 'push');
    const fleet = await buildFleet(database, tenant.slug, { types: {}, equipment: {}, drivers: [{ quals: [] }] });
    const driver = await identity.token({ roles: ['driver'], tenant: tenant.slug, sub: fleet.driverSubjects[0] });
    const keysOf = { p256dh: b64url(createECDH('prime256v1').generateKeys()), auth: b64url(randomBytes(16)) };
    for (const endpoint of [
      `http://127.0.0.1:${port}/x`,
      'https://10.0.0.5/x',
      'https://169.254.169.254/latest',
      'https://localhost/x',
      'http://push.example.com/x',
    ]) {
      const r = await strict.inject({
        method: 'PUT',
        url: '/api/v1/me/push/subscription',
        headers: { authorization: `Bearer ${driver}` },
        payload: { endpoint, keys: keysOf },
      });
      expect(r.statusCode, endpoint).toBe(422);
    }
    expect(
      (
        await strict.inject({
          method: 'PUT',
          url: '/api/v1/me/push/subscription',
          headers: { authorization: `Bearer ${driver}` },
          payload: { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', keys: keysOf },
        })
      ).statusCode,
    ).toBe(204);
    await strict.close();
  });
});
