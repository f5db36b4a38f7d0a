import type { Readable } from 'node:stream';

/**
 * Where file bytes live. One interface, two implementations: a folder under DATA_DIR (the embedded
 * default) and S3-compatible object storage. Keys are always built by `objectKey` from ids, never
 * from user input; every implementation refuses any other shape.
 */
export type ObjectStorage = {
  readonly kind: 'folder' | 's3';
  /** Stores the whole object or nothing: a body that fails halfway leaves no object behind. */
  put(key: string, body: Buffer | Readable, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  /** Size of the object, or null when there is none. */
  stat(key: string): Promise<{ size: number } | null>;
  /** Removes the object (no error when it is already gone). */
  delete(key: string): Promise<void>;
  /** Keys under a prefix (which must itself be a valid key prefix), sorted. */
  list(prefix: string): Promise<string[]>;
  /** A short-lived URL that downloads the object directly (S3: pre-signed); null when bytes go through the app. */
  downloadUrl(key: string, options: { filename: string; contentType: string; expiresSeconds?: number }): Promise<string | null>;
  /** A short-lived URL that uploads the object directly (S3: pre-signed PUT); null when bytes go through the app. */
  uploadUrl(key: string, options: { contentType: string; expiresSeconds?: number }): Promise<string | null>;
};

const KEY =
  /^tenants\/[a-z0-9_]{1,63}\/work-orders\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/[a-z0-9][a-z0-9._-]{0,99}$/;
const PREFIX = /^tenants\/([a-z0-9_]{1,63}\/(work-orders\/([0-9a-f-]{36}\/)?)?)?$/;

export class InvalidKeyError extends Error {
  constructor(key: string) {
    super(`invalid storage key ${JSON.stringify(key.slice(0, 200))}`);
    this.name = 'InvalidKeyError';
  }
}

export function assertKey(key: string): void {
  if (!KEY.test(key) || key.includes('..')) throw new InvalidKeyError(key);
}

export function assertPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) throw new InvalidKeyError(prefix);
}

/** `tenants/{tenant}/work-orders/{workOrderId}/{fileId}` — ids only, nothing a user typed. */
export function objectKey(tenantSlug: string, workOrderId: string, fileId: string): string {
  const key = `tenants/${tenantSlug}/work-orders/${workOrderId}/${fileId}`;
  assertKey(key);
  return key;
}

export const DEFAULT_URL_SECONDS = 300;
