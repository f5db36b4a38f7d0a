import { ProofSettingsSchema, type ProofInput, type ProofSettings } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { unprocessable } from '../../platform/errors.js';
import { tenantSettings } from '../../platform/tenant-settings.js';
import { recordAudit } from '../audit/index.js';
import { insertProof, proofFilesOf } from '../files/index.js';

export const DEFAULT_PROOF_SETTINGS: ProofSettings = { photos: 'optional', signature: 'optional', notes: 'optional' };

const proofSettings = tenantSettings('proof', ProofSettingsSchema, () => ({ ...DEFAULT_PROOF_SETTINGS }));

/** select value from tenant_settings where key = 'proof' (defaults filled in) */
export const readProofSettings = (tx: TenantTx): Promise<ProofSettings> => proofSettings.read(tx);

export async function writeProofSettings(tx: TenantTx, caller: Caller, change: Partial<ProofSettings>): Promise<ProofSettings> {
  const { before, after } = await proofSettings.update(tx, change);
  await recordAudit(tx, caller, { action: 'settings.proof_updated', entityType: 'tenant_settings', entityId: 'proof', before, after });
  return after;
}

/**
 * Checks a completion's proof against the tenant's settings (required parts present, parts that are
 * off absent, files uploaded for this very dispatch) and stores it with the dispatch.
 */
export async function saveProof(tx: TenantTx, dispatchId: string, proof: ProofInput | undefined, settings: ProofSettings): Promise<void> {
  const photoIds = [...new Set(proof?.photoIds ?? [])];
  const errors: Array<{ field: string; message: string }> = [];
  const need = (part: keyof ProofSettings, present: boolean, field: string, what: string): void => {
    if (settings[part] === 'required' && !present) errors.push({ field, message: `${what} is required to complete a job` });
    if (settings[part] === 'off' && present) errors.push({ field, message: `${what} is not collected by this company` });
  };
  need('photos', photoIds.length > 0, 'proof.photoIds', 'at least one photo');
  need('signature', Boolean(proof?.signatureId), 'proof.signatureId', "the customer's signature");
  need('notes', Boolean(proof?.notes), 'proof.notes', 'a note');
  if (proof?.signatureId && !proof.signerName)
    errors.push({ field: 'proof.signerName', message: "the signer's name goes with the signature" });
  const ids = [...photoIds, ...(proof?.signatureId ? [proof.signatureId] : [])];
  const files = await proofFilesOf(tx, dispatchId, ids);
  const byId = new Map(files.map((f) => [f.id, f]));
  for (const id of photoIds)
    if (byId.get(id)?.purpose !== 'photo')
      errors.push({ field: 'proof.photoIds', message: `photo ${id} was not uploaded for this dispatch` });
  if (proof?.signatureId && byId.get(proof.signatureId)?.purpose !== 'signature')
    errors.push({ field: 'proof.signatureId', message: 'the signature was not uploaded for this dispatch' });
  if (errors.length > 0) throw unprocessable('proof-incomplete', errors.map((e) => e.message).join('; '), errors);
  if (ids.length === 0 && !proof?.notes) return;
  await insertProof(tx, {
    dispatchId,
    signerName: proof?.signatureId ? (proof.signerName ?? null) : null,
    signatureFileId: proof?.signatureId ?? null,
    photoFileIds: photoIds,
    notes: proof?.notes ?? null,
  });
}
