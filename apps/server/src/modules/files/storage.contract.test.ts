import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderStorage } from './storage.folder.js';
import { s3Storage } from './storage.s3.js';
import { objectKey, type ObjectStorage } from './storage.js';

/** Scratch port from this suite's range; s3rver (the npm registry's fake S3) is started by the test. */
const S3_PORT = 20000 + (process.pid % 300);
const BUCKET = 'ym-contract';

type Harness = { storage: ObjectStorage; leftovers: () => string[] };

/** A body that yields some bytes, then fails: an upload cut off halfway. */
function failingStream(): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(64 * 1024, 7));
      } else {
        this.destroy(new Error('connection lost'));
      }
    },
  });
}

function contract(name: string, make: () => Promise<Harness>, after: () => Promise<void>): void {
  describe(`object storage contract: ${name}`, () => {
    let h: Harness;
    const tenant = `t${randomUUID().slice(0, 8)}`;
    const wo = randomUUID();
    beforeAll(async () => {
      h = await make();
    });
    afterAll(after);

    it('stores, reads, sizes, lists and deletes an object under tenants/{tenant}/work-orders/{id}/', async () => {
      const key = objectKey(tenant, wo, randomUUID());
      const bytes = Buffer.from('%PDF-1.4 delivery details');
      expect(await h.storage.get(key)).toBeNull();
      expect(await h.storage.stat(key)).toBeNull();
      await h.storage.put(key, bytes, 'application/pdf');
      expect((await h.storage.get(key))?.equals(bytes)).toBe(true);
      expect(await h.storage.stat(key)).toEqual({ size: bytes.length });
      expect(await h.storage.list(`tenants/${tenant}/work-orders/${wo}/`)).toContain(key);
      expect(await h.storage.list(`tenants/${tenant}x/`)).toEqual([]);
      await h.storage.delete(key);
      expect(await h.storage.get(key)).toBeNull();
      await h.storage.delete(key); // deleting again is fine
    });

    it('overwrites whole objects and keeps binary bytes exact', async () => {
      const key = objectKey(tenant, wo, randomUUID());
      const first = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
      const second = Buffer.alloc(300_000, 0xab);
      await h.storage.put(key, first, 'image/png');
      await h.storage.put(key, Readable.from([second.subarray(0, 100_000), second.subarray(100_000)]), 'image/png');
      expect((await h.storage.get(key))?.equals(second)).toBe(true);
    });

    it('a body that fails halfway leaves no object and nothing half-written', async () => {
      const key = objectKey(tenant, wo, randomUUID());
      await expect(h.storage.put(key, failingStream(), 'application/pdf')).rejects.toThrow(/connection lost/);
      expect(await h.storage.get(key)).toBeNull();
      expect(await h.storage.list(`tenants/${tenant}/work-orders/${wo}/`)).not.toContain(key);
      expect(h.leftovers()).toEqual([]);
    });

    it('refuses keys that are not ids under tenants/{tenant}/work-orders/{id}/', async () => {
      for (const bad of [
        `tenants/${tenant}/work-orders/${wo}/../../etc/passwd`,
        `../${tenant}`,
        `tenants/${tenant}/work-orders/not-a-uuid/x`,
        '/etc/passwd',
        `tenants/${tenant}/work-orders/${wo}/Evil Name.pdf`,
      ]) {
        await expect(h.storage.put(bad, Buffer.from('x'), 'text/plain')).rejects.toThrow(/invalid storage key/);
        await expect(h.storage.get(bad)).rejects.toThrow(/invalid storage key/);
      }
      await expect(h.storage.list('tenants/../')).rejects.toThrow(/invalid storage key/);
    });
  });
}

// --- the folder under DATA_DIR
let folder = '';
contract(
  'folder (DATA_DIR)',
  async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'ym-storage-'));
    return {
      storage: folderStorage(folder),
      leftovers: () =>
        readdirSync(folder, { recursive: true })
          .map(String)
          .filter((f) => path.basename(f).startsWith('.tmp-')),
    };
  },
  async () => rmSync(folder, { recursive: true, force: true }),
);

// --- S3 against s3rver on a scratch port
let s3dir = '';
let server: S3rver | undefined;
const s3Options = () => ({
  endpoint: `http://127.0.0.1:${S3_PORT}`,
  region: 'us-east-1',
  bucket: BUCKET,
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  forcePathStyle: true,
});
async function startS3(): Promise<void> {
  if (server) return;
  s3dir = mkdtempSync(path.join(tmpdir(), 'ym-s3rver-'));
  server = new S3rver({
    port: S3_PORT,
    address: '127.0.0.1',
    directory: s3dir,
    silent: true,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  await server.run();
}
async function stopS3(): Promise<void> {
  await server?.close();
  server = undefined;
  rmSync(s3dir, { recursive: true, force: true });
}
contract(
  's3 (s3rver)',
  async () => {
    await startS3();
    return { storage: s3Storage(s3Options()), leftovers: () => [] };
  },
  async () => undefined,
);

describe('S3 pre-signed URLs (s3rver)', () => {
  beforeAll(startS3);
  afterAll(stopS3);

  it('uploads through a pre-signed PUT and downloads through a pre-signed GET', async () => {
    const storage = s3Storage(s3Options());
    const key = objectKey('presign', randomUUID(), randomUUID());
    const bytes = Buffer.from('%PDF-1.7 signed upload');
    const put = await storage.uploadUrl(key, { contentType: 'application/pdf', expiresSeconds: 60 });
    expect(put).toMatch(/X-Amz-Signature=/);
    const uploaded = await fetch(put!, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/pdf' } });
    expect(uploaded.status).toBe(200);
    expect((await storage.get(key))?.equals(bytes)).toBe(true);

    const get = await storage.downloadUrl(key, { filename: 'delivery notes.pdf', contentType: 'application/pdf', expiresSeconds: 60 });
    expect(get).toMatch(/X-Amz-Expires=60/);
    const downloaded = await fetch(get!);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get('content-disposition')).toContain('delivery_notes.pdf');
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(bytes)).toBe(true);

    // s3rver neither checks SigV4 signatures nor keeps buckets private, so refusal of a tampered or
    // missing signature cannot be tested against it; the URLs' shape and expiry are checked above.
  });
});

describe('S3 pre-signed URLs: the folder store has none', () => {
  it('answers null so the app streams the bytes itself', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ym-storage-'));
    const storage = folderStorage(dir);
    const key = objectKey('presign', randomUUID(), randomUUID());
    expect(await storage.downloadUrl(key, { filename: 'x', contentType: 'text/plain' })).toBeNull();
    expect(await storage.uploadUrl(key, { contentType: 'text/plain' })).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});
