import { withTenant, type Database } from '../../platform/db/index.js';
import { readProof, type FileStore } from '../files/index.js';
import type { PdfProof } from './reporting.pdf.js';

/** A dispatch's proof of completion with its image bytes, for printing; null when there is none. */
export async function proofForPdf(database: Database, tenantSlug: string, dispatchId: string, files: FileStore): Promise<PdfProof | null> {
  const proof = await withTenant(database.db, tenantSlug, (tx) => readProof(tx, dispatchId));
  if (!proof) return null;
  const bytesOf = async (id: string): Promise<Buffer | null> => {
    const key = proof.keys[id];
    return key ? files.storage.get(key) : null;
  };
  const photos = (await Promise.all(proof.photos.map((p) => bytesOf(p.id)))).filter((b): b is Buffer => b !== null);
  return {
    signerName: proof.signerName,
    notes: proof.notes,
    signature: proof.signature ? await bytesOf(proof.signature.id) : null,
    photos,
  };
}
