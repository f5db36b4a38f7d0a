import { describe, expect, it } from 'vitest';
import { createShortcutReader, shortcutsFor } from './shortcuts';

describe('keyboard shortcuts', () => {
  it('reads single keys and g-sequences, and forgets a g after 1.5 s', () => {
    let clock = 0;
    const read = createShortcutReader(shortcutsFor(['dispatcher']), () => clock);
    expect(read('/')).toBe('search');
    expect(read('?')).toBe('help');
    expect(read('g')).toBeNull();
    expect(read('t')).toBe('go-timeline');
    expect(read('g')).toBeNull();
    clock = 2000;
    expect(read('m')).toBeNull();
    expect(read('x')).toBeNull();
  });

  it('offers each role only what it may open', () => {
    const viewer = shortcutsFor(['viewer']).map((s) => s.id);
    expect(viewer).toContain('search');
    expect(viewer).toContain('go-reports');
    expect(viewer).not.toContain('go-timeline');
    expect(viewer).not.toContain('new');
    const read = createShortcutReader(shortcutsFor(['viewer']));
    expect(read('g')).toBeNull();
    expect(read('a')).toBeNull();
    expect(shortcutsFor(['admin']).map((s) => s.id)).toContain('go-admin');
  });
});
