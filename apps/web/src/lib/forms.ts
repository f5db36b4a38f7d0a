/** What we need of a zod schema (keeps the web app free of a direct zod import). */
type Schema = {
  safeParse: (
    value: unknown,
  ) => { success: true } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
};

/**
 * A Mantine form `validate` function from a shared zod schema: the same rules the server applies,
 * shown beside the fields before the request is sent.
 */
export function zodValidate<T>(schema: Schema, prepare: (values: T) => unknown = (v) => v) {
  return (values: T): Record<string, string> => {
    const result = schema.safeParse(prepare(values));
    if (result.success) return {};
    const errors: Record<string, string> = {};
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.');
      if (!(path in errors)) errors[path] = issue.message;
    }
    return errors;
  };
}

/** Empty strings from text inputs become `undefined` (optional) or `null` (nullable) before sending. */
export function blankToNull<T extends Record<string, unknown>>(values: T): { [K in keyof T]: T[K] extends string ? T[K] | null : T[K] } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values))
    out[k] = typeof v === 'string' && v.trim() === '' ? null : typeof v === 'string' ? v.trim() : v;
  return out as { [K in keyof T]: T[K] extends string ? T[K] | null : T[K] };
}
