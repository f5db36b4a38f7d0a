import { sql } from 'kysely';
import type { z } from 'zod';
import type { TenantTx } from './db/index.js';
import { staleVersion, validationFailed } from './errors.js';
import { fieldErrorsOf } from './http/problem.js';

type Shape = Record<string, unknown>;

/**
 * One section of a tenant's settings (`tenant_settings` row `key`, a JSON object), typed by its
 * contracts schema, with defaults for what was never set. Every settings module (dispatch, proof,
 * alerts, files, retention) reads and writes through one of these; audit stays with the module.
 */
export type TenantSettingsSection<T extends Shape> = {
  key: string;
  /** Defaults, overlaid by the stored fields that are still valid (a field the schema no longer accepts falls back to its default). */
  parse: (stored: unknown, defaults?: T) => T;
  /** select value from tenant_settings where key = … (defaults filled in) */
  read: (tx: TenantTx, defaults?: T) => Promise<T>;
  /** The section and its version (0 while it was never written), for If-Match updates. */
  readVersioned: (tx: TenantTx, defaults?: T) => Promise<{ value: T; version: number }>;
  /** Validates and stores the whole section (callers that already read it, under their own lock). */
  write: (tx: TenantTx, value: T) => Promise<T>;
  /** Merges `change` into the current settings, validates the whole, stores it; returns both. */
  update: (tx: TenantTx, change: Partial<T>, defaults?: T) => Promise<{ before: T; after: T }>;
  /**
   * Replaces the section if its version is still `expectedVersion` (409 otherwise), serialised per
   * tenant and section; the stored version goes up by one.
   */
  replace: (tx: TenantTx, value: T, expectedVersion: number, defaults?: T) => Promise<{ before: T; after: T; version: number }>;
};

/** A stored value as an object (anything else counts as never set). */
const objectOf = (value: unknown): Shape => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Shape) : {});

/** `label` names the section in a 409 (`retention settings reporting.retention was changed by someone else`). */
export function tenantSettings<T extends Shape>(
  key: string,
  schema: z.ZodType<T>,
  defaults: () => T,
  options: { label?: string } = {},
): TenantSettingsSection<T> {
  function parse(stored: unknown, base: T = defaults()): T {
    const saved = objectOf(stored);
    // Only the section's own fields (the stored object may carry others, e.g. its version).
    const candidate: Shape = { ...base };
    for (const field of Object.keys(base)) if (field in saved) candidate[field] = saved[field];
    for (;;) {
      const result = schema.safeParse(candidate);
      if (result.success) return result.data;
      const invalid = new Set(result.error.issues.map((issue) => String(issue.path[0] ?? '')));
      const fixable = [...invalid].filter((field) => field in base && candidate[field] !== base[field]);
      // The defaults themselves must be valid: a section declared wrongly is a bug, not a setting.
      if (fixable.length === 0)
        throw new Error(`the defaults of tenant settings "${key}" do not match its schema: ${result.error.message}`);
      for (const field of fixable) candidate[field] = base[field];
    }
  }

  async function readStored(tx: TenantTx): Promise<unknown> {
    const { rows } = await sql<{ value: unknown }>`select value from tenant_settings where key = ${key}`.execute(tx);
    return rows[0]?.value;
  }

  async function store(tx: TenantTx, value: Shape): Promise<void> {
    await sql`
      insert into tenant_settings (key, value, updated_at) values (${key}, ${JSON.stringify(value)}::jsonb, now())
      on conflict (key) do update set value = excluded.value, updated_at = now()`.execute(tx);
  }

  function validated(value: unknown): T {
    const result = schema.safeParse(value);
    if (!result.success) throw validationFailed(`invalid ${key} settings`, fieldErrorsOf(result.error));
    return result.data;
  }

  const versionOf = (stored: unknown): number => {
    const version = objectOf(stored).version;
    return typeof version === 'number' && Number.isInteger(version) ? version : 0;
  };

  return {
    key,
    parse,
    read: async (tx, base) => parse(await readStored(tx), base),
    async readVersioned(tx, base) {
      const stored = await readStored(tx);
      return { value: parse(stored, base), version: versionOf(stored) };
    },
    async write(tx, value) {
      const after = validated(value);
      await store(tx, after);
      return after;
    },
    async update(tx, change, base) {
      const stored = await readStored(tx);
      const before = parse(stored, base);
      const after = validated({ ...before, ...change });
      // A versioned section keeps counting when it is changed without If-Match.
      const version = versionOf(stored);
      await store(tx, version > 0 ? { ...after, version: version + 1 } : after);
      return { before, after };
    },
    async replace(tx, value, expectedVersion, base) {
      await sql`select pg_advisory_xact_lock(hashtext(current_setting('search_path') || ${key}))`.execute(tx);
      const stored = await readStored(tx);
      const version = versionOf(stored);
      if (version !== expectedVersion) throw staleVersion(options.label ?? `${key} settings`, key);
      const before = parse(stored, base);
      const after = validated(value);
      await store(tx, { ...after, version: version + 1 });
      return { before, after, version: version + 1 };
    },
  };
}
