import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import en from './en.json';

const src = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

function keysOf(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => keysOf(v, prefix ? `${prefix}.${k}` : k));
}

const catalogue = new Set(keysOf(en));
const has = (key: string): boolean => catalogue.has(key) || catalogue.has(`${key}_one`) || catalogue.has(`${key}_other`);

describe('message catalogue (English)', () => {
  it('has every key the app asks for with a literal t("…") call', () => {
    const missing: string[] = [];
    for (const file of sourceFiles(src)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) {
        const key = match[1] ?? '';
        if (!has(key)) missing.push(`${file.slice(src.length)}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('speaks plainly: no jargon the issue names', () => {
    const text = keysOf(en).map((k) => k.split('.').reduce<unknown>((v, part) => (v as Record<string, unknown>)[part], en) as string);
    for (const s of text) {
      expect(s).not.toMatch(/unit\(s\)|the server refused|returns to pending/i);
      expect(s.trim()).not.toBe('');
    }
  });
});
