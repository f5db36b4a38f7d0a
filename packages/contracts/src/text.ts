import { z } from 'zod';

/** Why a string with a NUL character is refused: PostgreSQL text cannot hold U+0000. */
export const NUL_MESSAGE = 'must not contain a NUL character';

export const hasNoNul = (value: string): boolean => !value.includes('\u0000');

/**
 * Every string the API accepts: `z.string()` that refuses NUL characters (400 naming the field,
 * instead of a database error). Contracts use it in place of `z.string()`; chain as usual
 * (`text().trim().max(200)`).
 */
export const text = () => z.string().refine(hasNoNul, NUL_MESSAGE);
