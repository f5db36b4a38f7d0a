/** The constraint a unique violation (SQLSTATE 23505) hit, or undefined for any other error. */
export function uniqueViolationOf(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string };
  return e.code === '23505' ? (e.constraint ?? '') : undefined;
}

/** The constraint a foreign-key violation (SQLSTATE 23503) hit, or undefined. */
export function foreignKeyViolationOf(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string };
  return e.code === '23503' ? (e.constraint ?? '') : undefined;
}
