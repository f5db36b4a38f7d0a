import type { Role } from '@yardmaster/contracts';

/**
 * One keyboard shortcut: the keys as shown in the help sheet and who has it. What it does is
 * `search.shortcuts.<id>` in the message catalogue.
 */
export type Shortcut = { keys: string[]; roles?: readonly Role[] };

const DESK: readonly Role[] = ['dispatcher', 'admin'];

/**
 * Every shortcut of the console, as listed in the `?` help sheet. Sequences ("g then d") are typed
 * one key after the other; none fires while typing in a field.
 */
export const SHORTCUTS: readonly (Shortcut & { id: string; go?: string })[] = [
  { id: 'search', keys: ['/'] },
  { id: 'help', keys: ['?'] },
  { id: 'new', keys: ['n'], roles: DESK, go: '/dispatch?new=1' },
  { id: 'go-dispatch', keys: ['g', 'd'], roles: DESK, go: '/dispatch' },
  { id: 'go-timeline', keys: ['g', 't'], roles: DESK, go: '/timeline' },
  { id: 'go-map', keys: ['g', 'm'], roles: DESK, go: '/map' },
  { id: 'go-reports', keys: ['g', 'r'], go: '/reports' },
  { id: 'go-admin', keys: ['g', 'a'], roles: ['admin'], go: '/admin' },
  { id: 'close', keys: ['Esc'] },
];

export function shortcutsFor(roles: readonly Role[]): typeof SHORTCUTS {
  return SHORTCUTS.filter((s) => !s.roles || s.roles.some((r) => roles.includes(r)));
}

/** Whether a key press was typed into something editable (then it is text, not a shortcut). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || target.getAttribute('role') === 'combobox';
}

/**
 * Reads key presses into shortcuts: a single key, or a two-key sequence started by `g` (the second
 * key must follow within 1.5 s). Returns the shortcut's id, or null.
 */
export function createShortcutReader(available: readonly (Shortcut & { id: string })[], now: () => number = Date.now) {
  let pending: { key: string; at: number } | null = null;
  return (key: string): string | null => {
    if (pending && now() - pending.at < 1500) {
      const first = pending.key;
      pending = null;
      return available.find((s) => s.keys.length === 2 && s.keys[0] === first && s.keys[1] === key)?.id ?? null;
    }
    pending = null;
    if (available.some((s) => s.keys.length === 2 && s.keys[0] === key)) {
      pending = { key, at: now() };
      return null;
    }
    return available.find((s) => s.keys.length === 1 && s.keys[0] === key)?.id ?? null;
  };
}
