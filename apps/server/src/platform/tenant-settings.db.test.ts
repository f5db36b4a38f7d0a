import { sql } from 'kysely';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTenant, openTestDatabase, testDbKind } from '../../test/support/db.js';
import { withTenant, type Database, type TenantTx } from './db/index.js';
import { AppError } from './errors.js';
import { tenantSettings } from './tenant-settings.js';

const Schema = z.object({ enabled: z.boolean(), limit: z.number().int().min(1).max(100), mode: z.enum(['fast', 'safe']) });
type Settings = z.infer<typeof Schema>;
const DEFAULTS: Settings = { enabled: true, limit: 10, mode: 'safe' };

describe(`tenantSettings on ${testDbKind()}`, () => {
  let database: Database;
  let slug: string;
  let key = '';
  const run = <T>(fn: (tx: TenantTx) => Promise<T>): Promise<T> => withTenant(database.db, slug, fn);
  const stored = (): Promise<unknown> =>
    run(async (tx) => (await sql<{ value: unknown }>`select value from tenant_settings where key = ${key}`.execute(tx)).rows[0]?.value);
  const fresh = (): ReturnType<typeof tenantSettings<Settings>> => {
    key = `test.${Math.random().toString(36).slice(2)}`;
    return tenantSettings(key, Schema, () => ({ ...DEFAULTS }), { label: 'test settings' });
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    slug = (await createTestTenant(database, 'settings')).slug;
  });
  afterAll(async () => {
    await database.close();
  });

  it('reads the defaults while nothing is stored, and stores only what is written', async () => {
    const section = fresh();
    expect(await run((tx) => section.read(tx))).toEqual(DEFAULTS);
    expect(await run((tx) => section.readVersioned(tx))).toEqual({ value: DEFAULTS, version: 0 });
    expect(await stored()).toBeUndefined();
    expect(await run((tx) => section.read(tx, { ...DEFAULTS, limit: 50 }))).toEqual({ ...DEFAULTS, limit: 50 });
  });

  it('merges a change, validates the whole and returns before and after', async () => {
    const section = fresh();
    const { before, after } = await run((tx) => section.update(tx, { limit: 20 }));
    expect(before).toEqual(DEFAULTS);
    expect(after).toEqual({ ...DEFAULTS, limit: 20 });
    expect(await run((tx) => section.read(tx))).toEqual({ ...DEFAULTS, limit: 20 });
  });

  it('refuses an invalid value with a 400 problem naming the field, and changes nothing', async () => {
    const section = fresh();
    await run((tx) => section.update(tx, { mode: 'fast' }));
    const error = await run((tx) => section.update(tx, { limit: 0 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, type: '/problems/validation', errors: [{ field: 'limit' }] });
    expect(await run((tx) => section.read(tx))).toEqual({ ...DEFAULTS, mode: 'fast' });
  });

  it('falls back to the default for a stored field the schema no longer accepts, keeping the others', async () => {
    const section = fresh();
    await run((tx) =>
      sql`insert into tenant_settings (key, value, updated_at) values (${key}, ${JSON.stringify({ enabled: false, limit: 'many', mode: 'fast', gone: 1 })}::jsonb, now())`.execute(
        tx,
      ),
    );
    expect(await run((tx) => section.read(tx))).toEqual({ enabled: false, limit: 10, mode: 'fast' });
    expect(section.parse(null)).toEqual(DEFAULTS);
    expect(section.parse({ limit: 7 })).toEqual({ ...DEFAULTS, limit: 7 });
  });

  it('replaces with If-Match versions: counts up, and refuses a stale version with a 409', async () => {
    const section = fresh();
    const first = await run((tx) => section.replace(tx, { enabled: false, limit: 5, mode: 'fast' }, 0));
    expect(first).toEqual({ before: DEFAULTS, after: { enabled: false, limit: 5, mode: 'fast' }, version: 1 });
    expect(await stored()).toEqual({ enabled: false, limit: 5, mode: 'fast', version: 1 });
    expect(await run((tx) => section.readVersioned(tx))).toEqual({ value: { enabled: false, limit: 5, mode: 'fast' }, version: 1 });
    const stale = await run((tx) => section.replace(tx, DEFAULTS, 0)).catch((e: unknown) => e);
    expect(stale).toMatchObject({
      status: 409,
      type: '/problems/stale-version',
      detail: `test settings ${key} was changed by someone else; reload it and try again`,
    });
    expect((await run((tx) => section.replace(tx, DEFAULTS, 1))).version).toBe(2);
    // A change without If-Match keeps the count going, so an older ETag is still refused.
    await run((tx) => section.update(tx, { limit: 3 }));
    expect((await run((tx) => section.readVersioned(tx))).version).toBe(3);
  });

  it('refuses defaults that do not match the schema (a declaration bug, not a setting)', () => {
    const broken = tenantSettings('test.broken', Schema, () => ({ ...DEFAULTS, limit: 0 }));
    expect(() => broken.parse({})).toThrow(/defaults of tenant settings "test.broken"/);
  });
});
