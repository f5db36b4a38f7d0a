import type { Role } from '@yardmaster/contracts';

export type NavItem = { path: string; label: string; roles: readonly Role[] };

/** Navigation by role: each section lists who may open it. */
export const NAV: readonly NavItem[] = [
  { path: '/dispatch', label: 'Dispatcher console', roles: ['dispatcher', 'admin'] },
  { path: '/driver', label: 'My dispatches', roles: ['driver'] },
  { path: '/admin', label: 'Administration', roles: ['admin'] },
  { path: '/reports', label: 'Reports', roles: ['admin', 'dispatcher', 'viewer', 'driver'] },
  { path: '/planning', label: 'Planning', roles: ['admin', 'dispatcher', 'viewer', 'driver'] },
  { path: '/audit', label: 'Audit', roles: ['admin', 'viewer'] },
];

export function navFor(roles: readonly Role[]): NavItem[] {
  return NAV.filter((item) => item.roles.some((r) => roles.includes(r)));
}

export function homePathFor(roles: readonly Role[]): string {
  return navFor(roles)[0]?.path ?? '/no-access';
}
