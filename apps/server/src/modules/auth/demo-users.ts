import type { Kysely } from 'kysely';
import type { ControlTables } from '../../platform/db/index.js';
import { ensureMembership } from '../users/index.js';
import { ensureLocalUser } from './local-users.js';

/**
 * Demo accounts of the embedded provider, one per role, in the demo tenant, plus a platform
 * operator. Fixed, documented passwords: they exist only when the embedded provider is used and
 * the demo is seeded (`SEED_DEMO=true`), and `npm start` prints them. The driver's subject is
 * stable so the demo driver record can be linked to it.
 */
export const DEMO_USERS = [
  { id: '00000000-0000-4000-8000-0000000000a1', email: 'admin@demo.test', name: 'Alex Admin', password: 'demo-admin', roles: ['admin'] },
  {
    id: '00000000-0000-4000-8000-0000000000d1',
    email: 'dispatcher@demo.test',
    name: 'Dana Dispatcher',
    password: 'demo-dispatcher',
    roles: ['dispatcher'],
  },
  { id: '00000000-0000-4000-8000-0000000000e1', email: 'driver@demo.test', name: 'Sam Driver', password: 'demo-driver', roles: ['driver'] },
  { id: '00000000-0000-4000-8000-0000000000f1', email: 'viewer@demo.test', name: 'Vic Viewer', password: 'demo-viewer', roles: ['viewer'] },
] as const;

export const DEMO_OPERATOR = {
  id: '00000000-0000-4000-8000-0000000000c1',
  email: 'operator@yardmaster.test',
  name: 'Platform Operator',
  password: 'demo-operator',
  roles: ['operator'],
} as const;

export const DEMO_DRIVER_SUBJECT = DEMO_USERS[2].id;

export async function seedDemoUsers(db: Kysely<ControlTables>, tenantSlug: string): Promise<void> {
  for (const user of DEMO_USERS) {
    await ensureLocalUser(db, { ...user, roles: [...user.roles], tenantSlug });
    // A membership row too, so the demo tenant's admin sees (and can manage) its people.
    await ensureMembership(db, { tenantSlug, subject: user.id, email: user.email, name: user.name, roles: [...user.roles] });
  }
  await ensureLocalUser(db, { ...DEMO_OPERATOR, roles: [...DEMO_OPERATOR.roles], tenantSlug: null });
}

export function demoLoginLines(): string[] {
  return [...DEMO_USERS, DEMO_OPERATOR].map((u) => `    ${u.roles.join(',').padEnd(11)} ${u.email.padEnd(26)} password: ${u.password}`);
}
