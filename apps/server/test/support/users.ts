import { ensureLocalUserForSeed } from '../../src/modules/auth/index.js';
import type { Database } from '../../src/platform/db/index.js';

export async function ensureLocalUserForTest(
  database: Database,
  user: { email: string; password: string; tenantSlug: string | null; roles: string[]; name?: string },
): Promise<void> {
  await ensureLocalUserForSeed(database.db, { ...user, name: user.name ?? user.email });
}
