/**
 * The files module's door: object storage (a DATA_DIR folder or S3-compatible, one interface) and
 * the `files` table (work-order attachments, proof photos and signatures). Bytes are checked from
 * their content, counted against a per-tenant quota, and stored under
 * `tenants/{tenant}/work-orders/{id}/{fileId}` — keys made of ids, never of user input.
 */
import type { Config } from '../../config.js';
import { folderStorage } from './storage.folder.js';
import type { FileStore } from './files.service.js';

export { type ObjectStorage, objectKey, assertKey, InvalidKeyError } from './storage.js';
export { folderStorage } from './storage.folder.js';
export type { S3StorageOptions } from './storage.s3.js';
export { sniffContentType, IMAGE_TYPES, type SniffedType } from './sniff.js';
export {
  MAX_FILE_BYTES,
  checkUpload,
  cleanFilename,
  findFile,
  listFiles,
  markFileDeleted,
  readFilesSettings,
  storeFile,
  writeFilesSettings,
  type FileStore,
  type NewFile,
  type StoredFile,
} from './files.service.js';
export type { FilePurpose } from './files.tables.js';

/** The configured store: `STORAGE=folder` (DATA_DIR/files) or `STORAGE=s3` (the AWS SDK is loaded only then). */
export async function fileStoreFromConfig(config: Config): Promise<FileStore> {
  const s = config.files.storage;
  const storage = s.kind === 's3' ? (await import('./storage.s3.js')).s3Storage(s) : folderStorage(s.dir);
  return { storage, defaultQuotaBytes: config.files.defaultQuotaBytes };
}
export { insertProof, proofFilesOf, readProof } from './proof.js';
