import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type VapidKeys = { publicKey: string; privateKey: string; subject: string };

/**
 * The VAPID key pair: from config (VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY — what several instances
 * must share), else generated once and kept in DATA_DIR/vapid.json (mode 0600), like the embedded
 * identity provider's keys.
 */
export async function loadVapidKeys(
  config: { publicKey: string | undefined; privateKey: string | undefined; subject: string },
  dataDir: string | null,
): Promise<VapidKeys> {
  const webpush = (await import('web-push')).default;
  if (config.publicKey && config.privateKey) return { publicKey: config.publicKey, privateKey: config.privateKey, subject: config.subject };
  if (dataDir === null) return { ...webpush.generateVAPIDKeys(), subject: config.subject }; // tests: this process only
  const file = path.join(dataDir, 'vapid.json');
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string; privateKey: string };
    return { ...stored, subject: config.subject };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated = webpush.generateVAPIDKeys();
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, JSON.stringify(generated), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another instance on the same DATA_DIR wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return await loadVapidKeys(config, dataDir);
    throw error;
  }
  return { ...generated, subject: config.subject };
}
