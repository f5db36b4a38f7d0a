import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { UpdateFilesSettingsSchema } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { withTenant, type Database, type TenantTx } from '../../platform/db/index.js';
import { AppError, notFound, problemType, validationFailed } from '../../platform/errors.js';
import { tenantSettings } from '../../platform/tenant-settings.js';
import { recordAudit } from '../audit/index.js';
import type { FilePurpose } from './files.tables.js';
import { bareType, declaredMatches, sniffContentType, type SniffedType } from './sniff.js';
import { objectKey, type ObjectStorage } from './storage.js';
import './files.tables.js';

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

export type StoredFile = {
  id: string;
  workOrderId: string;
  dispatchId: string | null;
  purpose: FilePurpose;
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  createdBy: { subject: string; name: string };
  createdAt: string;
};

type FileRow = {
  id: string;
  work_order_id: string;
  dispatch_id: string | null;
  purpose: FilePurpose;
  storage_key: string;
  filename: string;
  content_type: string;
  size_bytes: string | number;
  sha256: string;
  created_by_subject: string;
  created_by_name: string;
  created_at: Date;
};

export const fileView = (r: FileRow): StoredFile => ({
  id: r.id,
  workOrderId: r.work_order_id,
  dispatchId: r.dispatch_id,
  purpose: r.purpose,
  filename: r.filename,
  contentType: r.content_type,
  sizeBytes: Number(r.size_bytes),
  sha256: r.sha256,
  createdBy: { subject: r.created_by_subject, name: r.created_by_name },
  createdAt: r.created_at.toISOString(),
});

export const tooLarge = (detail: string): AppError => new AppError(413, problemType('payload-too-large'), 'Payload too large', detail);
export const unsupportedType = (detail: string): AppError =>
  new AppError(415, problemType('unsupported-media-type'), 'Unsupported media type', detail);

/** Display name of an upload: its base name, printable characters only, at most 200. */
export function cleanFilename(name: string | undefined, fallback: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const unprintable = /[\u0000-\u001f\u007f"]/g;
  const clean = base.replace(unprintable, '').trim().slice(0, 200);
  return clean || fallback;
}

/**
 * Checks an upload's bytes: 1 byte to 10 MB (413 above), a kind we accept whose declared type
 * matches what the bytes are (415 for a wrong or disguised type), and for proof, an image.
 */
export function checkUpload(bytes: Buffer, declared: string | undefined, allowed?: readonly SniffedType[]): SniffedType {
  if (bytes.length === 0) throw validationFailed('the file is empty', [{ field: 'body', message: 'at least 1 byte' }]);
  if (bytes.length > MAX_FILE_BYTES) throw tooLarge(`a file may be at most ${MAX_FILE_BYTES} bytes (10 MB)`);
  const sniffed = sniffContentType(bytes);
  if (!sniffed) throw unsupportedType('this kind of file is not accepted (PDF, PNG, JPEG, WebP, GIF, ZIP/Office or plain text)');
  if (allowed && !allowed.includes(sniffed)) throw unsupportedType(`expected ${allowed.join(' or ')}, the bytes are ${sniffed}`);
  if (!declaredMatches(declared ?? '', sniffed))
    throw unsupportedType(`declared ${bareType(declared) || 'no type'} but the bytes are ${sniffed}`);
  return sniffed;
}

/** The bytes' home and the quota a tenant gets unless its admin set another. */
export type FileStore = { storage: ObjectStorage; defaultQuotaBytes: number };

/** The tenant's quota and what its live files use (select … from tenant_settings; sum(size_bytes)). */
const filesSettings = tenantSettings('files', UpdateFilesSettingsSchema, () => ({ quotaBytes: DEFAULT_QUOTA_BYTES }));

export async function readFilesSettings(
  tx: TenantTx,
  defaultQuotaBytes = DEFAULT_QUOTA_BYTES,
): Promise<{ quotaBytes: number; usedBytes: number }> {
  const { quotaBytes } = await filesSettings.read(tx, { quotaBytes: defaultQuotaBytes });
  const used = await sql<{ used: string | null }>`select sum(size_bytes) as used from files where deleted_at is null`.execute(tx);
  return { quotaBytes, usedBytes: Number(used.rows[0]?.used ?? 0) };
}

export async function writeFilesSettings(
  tx: TenantTx,
  caller: Caller,
  quotaBytes: number,
  defaultQuotaBytes = DEFAULT_QUOTA_BYTES,
): Promise<{ quotaBytes: number; usedBytes: number }> {
  const before = await readFilesSettings(tx, defaultQuotaBytes);
  await filesSettings.write(tx, { quotaBytes });
  await recordAudit(tx, caller, {
    action: 'settings.files_updated',
    entityType: 'tenant_settings',
    entityId: 'files',
    before: { quotaBytes: before.quotaBytes },
    after: { quotaBytes },
  });
  return { ...before, quotaBytes };
}

export type NewFile = {
  workOrderId: string;
  dispatchId: string | null;
  purpose: FilePurpose;
  filename: string;
  declaredType: string | undefined;
  bytes: Buffer;
  /** A client-chosen id makes a retried upload idempotent (the same id and bytes store once). */
  id?: string;
  allowed?: readonly SniffedType[];
};

/**
 * Stores a file: the bytes are checked, written to storage whole, then the row (counted against the
 * tenant's quota, audited) is written in `check`'s transaction. If anything fails after the bytes
 * were written, the object is removed again: no half-stored file either way.
 * `check(tx)` runs first in the transaction (e.g. "the work order exists and the caller may add to it").
 */
export async function storeFile(
  database: Database,
  store: FileStore,
  caller: Caller,
  input: NewFile,
  check: (tx: TenantTx) => Promise<void>,
): Promise<StoredFile> {
  const { storage } = store;
  const sniffed = checkUpload(input.bytes, input.declaredType, input.allowed);
  const id = input.id ?? randomUUID();
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  const key = objectKey(caller.tenantSlug, input.workOrderId, id);
  const existing = await withTenant(database.db, caller.tenantSlug, async (tx) => {
    await check(tx);
    return tx.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
  });
  if (existing) {
    // A retry of an upload that already landed: the same bytes for the same owner → the same answer.
    if (
      existing.sha256 === sha256 &&
      existing.work_order_id === input.workOrderId &&
      existing.dispatch_id === input.dispatchId &&
      !existing.deleted_at
    )
      return fileView(existing);
    throw new AppError(409, problemType('conflict'), 'Conflict', `file ${id} already exists with other content`);
  }
  await storage.put(key, input.bytes, sniffed);
  try {
    return await withTenant(database.db, caller.tenantSlug, async (tx) => {
      await check(tx);
      // One writer at a time per tenant for the quota sum.
      await sql`select pg_advisory_xact_lock(hashtext('files.quota'))`.execute(tx);
      const { quotaBytes, usedBytes } = await readFilesSettings(tx, store.defaultQuotaBytes);
      if (usedBytes + input.bytes.length > quotaBytes)
        throw tooLarge(`the tenant's file quota (${quotaBytes} bytes) would be exceeded: ${usedBytes} bytes in use`);
      const row = await tx
        .insertInto('files')
        .values({
          id,
          work_order_id: input.workOrderId,
          dispatch_id: input.dispatchId,
          purpose: input.purpose,
          storage_key: key,
          filename: input.filename,
          content_type: sniffed,
          size_bytes: input.bytes.length,
          sha256,
          created_by_subject: caller.subject,
          created_by_name: caller.name,
          deleted_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = fileView(row);
      await recordAudit(tx, caller, {
        action: `file.${input.purpose}_added`,
        entityType: 'work_order',
        entityId: input.workOrderId,
        after: { file: view },
      });
      return view;
    });
  } catch (error) {
    // Best effort: the row never committed, so a leftover object is unreferenced; the original error is what the caller needs.
    await storage
      .delete(key)
      .catch((cleanup: unknown) => process.emitWarning(`could not remove unreferenced file ${key}: ${String(cleanup)}`));
    throw error;
  }
}

export async function listFiles(
  tx: TenantTx,
  filter: { workOrderId?: string; dispatchId?: string; purpose?: FilePurpose },
): Promise<StoredFile[]> {
  let q = tx.selectFrom('files').selectAll().where('deleted_at', 'is', null);
  if (filter.workOrderId) q = q.where('work_order_id', '=', filter.workOrderId);
  if (filter.dispatchId) q = q.where('dispatch_id', '=', filter.dispatchId);
  if (filter.purpose) q = q.where('purpose', '=', filter.purpose);
  const rows = await q.orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => fileView(r as FileRow));
}

/** A live file with its storage key (for reading the bytes); undefined when absent or deleted. */
export async function findFile(tx: TenantTx, id: string): Promise<(StoredFile & { storageKey: string }) | undefined> {
  const row = await tx.selectFrom('files').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return row ? { ...fileView(row), storageKey: row.storage_key } : undefined;
}

/** Marks the file deleted (audited) in the caller's transaction; the caller removes the bytes after commit. */
export async function markFileDeleted(tx: TenantTx, caller: Caller, id: string): Promise<{ storageKey: string; file: StoredFile }> {
  const row = await tx.selectFrom('files').selectAll().where('id', '=', id).where('deleted_at', 'is', null).forUpdate().executeTakeFirst();
  if (!row) throw notFound('file', id);
  await tx.updateTable('files').set({ deleted_at: new Date() }).where('id', '=', id).execute();
  const view = fileView(row);
  await recordAudit(tx, caller, {
    action: `file.${row.purpose}_deleted`,
    entityType: 'work_order',
    entityId: row.work_order_id,
    before: { file: view },
  });
  return { storageKey: row.storage_key, file: view };
}
