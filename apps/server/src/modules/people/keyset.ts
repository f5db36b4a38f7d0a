import { sql, type RawBuilder } from 'kysely';
import { decodeCursor, encodeCursor } from '../../platform/db/index.js';
import { validationFailed, type AppError } from '../../platform/errors.js';

/**
 * Sortable keyset pages for the resource lists (people, fleet, sites). A sort is `field` or
 * `-field`; each field maps to a non-null SQL expression, and rows are ordered by (expression, id)
 * so that pages stay stable while rows are inserted. The cursor carries the sort it was made for:
 * a cursor from another sort is a 400, never a silently wrong page.
 */
export type SortKey = {
  /** Non-null SQL expression the rows are ordered by. */
  expr: RawBuilder<unknown>;
  /** How a cursor value compares against it: as text, or as a bigint (timestamps in microseconds). */
  kind: 'text' | 'bigint';
};

export type Keyset = {
  /** `sort_key` column to select: the expression as text, what the next cursor carries. */
  sortKey: RawBuilder<string>;
  /** Condition for rows after the cursor, or undefined on the first page. */
  after: RawBuilder<boolean> | undefined;
  expr: RawBuilder<unknown>;
  direction: 'asc' | 'desc';
  /** The cursor of the page after the one ending with `last`. */
  cursorAfter: (last: { sort_key: string; id: string }) => string;
};

/** Microseconds since the epoch, exact: a timestamp as a sort key. */
export const micros = (column: string): SortKey => ({
  expr: sql`(extract(epoch from ${sql.ref(column)}) * 1000000)::bigint`,
  kind: 'bigint',
});
export const lowerText = (column: string): SortKey => ({ expr: sql`lower(${sql.ref(column)})`, kind: 'text' });
export const plainText = (column: string): SortKey => ({ expr: sql`${sql.ref(column)}`, kind: 'text' });

function invalidCursor(): AppError {
  return validationFailed('the cursor belongs to another sort order; start again without it', [
    { field: 'cursor', message: 'cursor does not match sort' },
  ]);
}

export function keysetFor<F extends string>(keys: Record<F, SortKey>, sort: string, cursor: string | undefined, idColumn: string): Keyset {
  const desc = sort.startsWith('-');
  const field = (desc ? sort.slice(1) : sort) as F;
  const key = keys[field];
  const decoded = decodeCursor(cursor);
  let after: RawBuilder<boolean> | undefined;
  if (decoded) {
    const k = typeof decoded.k === 'string' ? decoded.k : '';
    const separator = k.indexOf('|');
    if (separator < 0 || k.slice(0, separator) !== sort) throw invalidCursor();
    const value = k.slice(separator + 1);
    if (key.kind === 'bigint' && !/^-?\d{1,20}$/.test(value)) throw invalidCursor();
    const bound = key.kind === 'bigint' ? sql`cast(${value} as bigint)` : sql`${value}`;
    after = sql<boolean>`(${key.expr}, ${sql.ref(idColumn)}) ${sql.raw(desc ? '<' : '>')} (${bound}, cast(${decoded.id} as uuid))`;
  }
  return {
    sortKey: sql<string>`cast(${key.expr} as text)`,
    after,
    expr: key.expr,
    direction: desc ? 'desc' : 'asc',
    cursorAfter: (last) => encodeCursor({ k: `${sort}|${last.sort_key}`, id: last.id }),
  };
}

/** Splits `limit + 1` rows into a page and the cursor of the next one. */
export function sortedPage<T extends { sort_key: string; id: string }>(
  rows: T[],
  limit: number,
  keyset: Keyset,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? keyset.cursorAfter(last) : null };
}
