import type { Proof } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import { fileView, type StoredFile } from './files.service.js';
import './files.tables.js';

type ProofRow = {
  dispatch_id: string;
  signer_name: string | null;
  signature_file_id: string | null;
  photo_file_ids: string[];
  notes: string | null;
  created_at: Date;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    dispatch_proofs: {
      dispatch_id: string;
      signer_name: string | null;
      signature_file_id: string | null;
      photo_file_ids: string[];
      notes: string | null;
      created_at: Date | undefined;
    };
  }
}

/** The live files of a dispatch's proof by id (photos and signature uploaded before completing). */
export async function proofFilesOf(tx: TenantTx, dispatchId: string, ids: readonly string[]): Promise<StoredFile[]> {
  if (ids.length === 0) return [];
  const rows = await tx
    .selectFrom('files')
    .selectAll()
    .where('dispatch_id', '=', dispatchId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
  return rows.map((r) => fileView(r as never));
}

/** insert into dispatch_proofs (one per dispatch, written in the completing transaction) */
export async function insertProof(
  tx: TenantTx,
  input: { dispatchId: string; signerName: string | null; signatureFileId: string | null; photoFileIds: string[]; notes: string | null },
): Promise<void> {
  await tx
    .insertInto('dispatch_proofs')
    .values({
      dispatch_id: input.dispatchId,
      signer_name: input.signerName,
      signature_file_id: input.signatureFileId,
      photo_file_ids: input.photoFileIds,
      notes: input.notes,
      created_at: undefined,
    })
    .execute();
}

/** A dispatch's proof of completion with its files, or null when none was given. */
export async function readProof(tx: TenantTx, dispatchId: string): Promise<(Proof & { keys: Record<string, string> }) | null> {
  const row = (await tx.selectFrom('dispatch_proofs').selectAll().where('dispatch_id', '=', dispatchId).executeTakeFirst()) as
    ProofRow | undefined;
  if (!row) return null;
  const ids = [...row.photo_file_ids, ...(row.signature_file_id ? [row.signature_file_id] : [])];
  const files = ids.length ? await tx.selectFrom('files').selectAll().where('id', 'in', ids).execute() : [];
  const byId = new Map(files.map((f) => [f.id, f]));
  const keys: Record<string, string> = {};
  for (const f of files) keys[f.id] = f.storage_key;
  const signature = row.signature_file_id ? byId.get(row.signature_file_id) : undefined;
  return {
    dispatchId: row.dispatch_id,
    signerName: row.signer_name,
    signature: signature ? fileView(signature) : null,
    photos: row.photo_file_ids.flatMap((id) => {
      const f = byId.get(id);
      return f ? [fileView(f)] : [];
    }),
    notes: row.notes,
    createdAt: row.created_at.toISOString(),
    keys,
  };
}
