import { AppError, problemType } from '../errors.js';

/**
 * Opaque keyset cursors: the sort key and id of the last row of a page. Stable while rows are
 * inserted (no offsets), and tamper-proof enough: a malformed cursor is a 400, never a 500.
 */
export type Cursor = { k: string | number | null; id: string };

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<Cursor> | null;
    const validId = typeof parsed?.id === 'string' && /^[0-9a-f-]{36}$/i.test(parsed.id);
    const validKey =
      parsed?.k === null ||
      (typeof parsed?.k === 'string' && !parsed.k.includes('\u0000')) ||
      (typeof parsed?.k === 'number' && Number.isFinite(parsed.k));
    if (parsed && validId && validKey) return { k: parsed.k ?? null, id: parsed.id as string };
  } catch {
    // fall through
  }
  throw new AppError(400, problemType('validation'), 'Invalid request', 'the cursor is not one this API returned', [
    { field: 'cursor', message: 'invalid cursor' },
  ]);
}

/** Splits `limit + 1` fetched rows into a page and the cursor of the next one. */
export function pageFrom<T>(rows: T[], limit: number, keyOf: (row: T) => Cursor): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

/** An ILIKE pattern matching `text` anywhere, with the user's `%`, `_` and `\` taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
