import { migrations } from './migrations/index.js';
import { seedDemoUsers } from './modules/auth/index.js';
import { findTenantBySlug, provisionTenant, type Database } from './platform/db/index.js';
import { seedDemoData } from './seed-demo-data.js';

export const DEMO_TENANT = { slug: 'demo', name: 'Demo Construction Co.', timeZone: 'Europe/London' } as const;

/** Creates the demo tenant on first run; later runs leave it (and its data) as it is. */
export async function seedDemoTenant(database: Database): Promise<{ slug: string; created: boolean }> {
  if (await findTenantBySlug(database.db, DEMO_TENANT.slug)) return { slug: DEMO_TENANT.slug, created: false };
  await provisionTenant(database.db, DEMO_TENANT, migrations.tenant);
  await seedDemoUsers(database.db, DEMO_TENANT.slug);
  await seedDemoData(database, DEMO_TENANT.slug);
  return { slug: DEMO_TENANT.slug, created: true };
}
