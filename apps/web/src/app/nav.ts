import type { Role } from '@yardmaster/contracts';

/** `labelKey`: the menu label's key in the message catalogue (`nav.*`). */
export type NavItem = { path: string; labelKey: string; roles: readonly Role[] };

/** Navigation by role: each section lists who may open it. */
export const NAV: readonly NavItem[] = [
  { path: '/dispatch', labelKey: 'nav.dispatch', roles: ['dispatcher', 'admin'] },
  { path: '/timeline', labelKey: 'nav.timeline', roles: ['dispatcher', 'admin'] },
  { path: '/map', labelKey: 'nav.map', roles: ['dispatcher', 'admin'] },
  { path: '/driver', labelKey: 'nav.driver', roles: ['driver'] },
  { path: '/admin', labelKey: 'nav.admin', roles: ['admin'] },
  { path: '/reports', labelKey: 'nav.reports', roles: ['admin', 'dispatcher', 'viewer', 'driver'] },
  { path: '/planning', labelKey: 'nav.planning', roles: ['admin', 'dispatcher', 'viewer', 'driver'] },
  { path: '/audit', labelKey: 'nav.audit', roles: ['admin', 'viewer'] },
];

export function navFor(roles: readonly Role[]): NavItem[] {
  return NAV.filter((item) => item.roles.some((r) => roles.includes(r)));
}

export function homePathFor(roles: readonly Role[]): string {
  return navFor(roles)[0]?.path ?? '/no-access';
}
