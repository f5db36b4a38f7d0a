import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant, type Database } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { buildFleet } from './support/fleet.js';
import { createScratchPostgres } from './support/scratch.js';

/**
 * The "sharded" level, checked statically: Citus schema-based sharding distributes each tenant
 * schema (`t_<slug>`) as a unit and keeps `control` on the coordinator (its tables as reference or
 * local tables). Citus is not in Debian, so this test captures every SQL statement the server sends
 * during a representative workload — migrations, provisioning, every API route for every role, a
 * dispatch lifecycle, background workers — and proves none crosses from one tenant schema to
 * another, or joins a tenant schema with `control`; and that the catalog holds no foreign key,
 * sequence default, trigger or view crossing those lines. The statement list is written to
 * artifacts/sql-statements.txt for review.
 */
type Captured = { text: string; context: string | null };

const captured: Captured[] = [];
const contextOf = new WeakMap<object, string | null>();
// eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be restored and re-applied with the client as `this`
const original = pg.Client.prototype.query;

function capture(): void {
  // Every statement any client of this process sends, with the tenant schema pinned at the time.
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    const values = (Array.isArray(args[1]) ? args[1] : ((first as { values?: unknown[] } | undefined)?.values ?? [])) as unknown[];
    const pin = /set_config\('search_path', \$1, true\)/.exec(text) ? String(values[0]) : undefined;
    if (pin !== undefined) contextOf.set(this, pin);
    captured.push({ text, context: contextOf.get(this) ?? null });
    if (/^\s*(commit|rollback)\b/i.test(text)) contextOf.set(this, null);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
}

const TENANT = /\b"?(t_[a-z][a-z0-9_]*)"?\s*\.\s*"?[a-z_]/g;
const CONTROL = /\b"?control"?\s*\.\s*"?[a-z_]/;

/** Schemas a statement names explicitly, and whether it reads or writes a tenant's tables unqualified. */
function schemasOf(statement: Captured): { tenants: Set<string>; control: boolean; unqualifiedInTenant: boolean } {
  // control.tenant_role(slug) reads no table: it is a pure function of the database's name and the
  // slug (the tenant's role name), so it ties no tenant schema to control's tables. Under Citus it
  // is created on every node like the other functions (docs/scaling.md).
  const text = statement.text
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/--[^\n]*/g, '')
    .replace(/\bcontrol\.tenant_role\s*\(/g, 'tenant_role(');
  const tenants = new Set([...text.matchAll(TENANT)].map((m) => m[1] ?? ''));
  const control = CONTROL.test(text);
  const ctes = new Set(
    [...text.matchAll(/\b([a-z_][a-z0-9_]*)\s+as\s+(?:not\s+)?(?:materialized\s+)?\(/gi)].map((m) => (m[1] ?? '').toLowerCase()),
  );
  const relations = [...text.matchAll(/\b(?:from|join|into|update)\s+("?[a-z_][a-z0-9_]*"?)(\s*\.)?(\s*\()?/gi)]
    .filter((m) => !m[2] && !m[3])
    .map((m) => (m[1] ?? '').replaceAll('"', '').toLowerCase())
    .filter(
      (name) =>
        !ctes.has(name) &&
        ![
          'lateral',
          'unnest',
          'generate_series',
          'jsonb_array_elements',
          'jsonb_to_recordset',
          'values',
          'pg_stat_activity',
          'pg_roles',
          'pg_namespace',
          'pg_class',
          'pg_prepared_statements',
        ].includes(name),
    );
  return {
    tenants,
    control,
    unqualifiedInTenant: statement.context !== null && statement.context.startsWith('t_') && relations.length > 0,
  };
}

describe('Citus schema-based sharding: static compatibility', () => {
  let scratch: { url: string; drop: () => Promise<void> };
  let database: Database;
  let testApp: TestApp;
  const slugs = ['citus_a', 'citus_b'];

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    capture();
    database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 6 });
    await migrateAll(database.db, migrations);
    for (const slug of slugs) await provisionTenant(database.db, { slug, name: slug, timeZone: 'UTC' }, migrations.tenant);
    testApp = await createTestApp(database, { LOG_LEVEL: 'silent' });
    await testApp.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(testApp.app.server.address() as { port: number }).port}`;
    const { identity } = testApp;
    for (const slug of slugs) {
      const fleet = await buildFleet(database, slug, {
        types: { VAN: [], CRANE: ['NCCCO'] },
        equipment: { VAN: 2, CRANE: 1 },
        drivers: [{ quals: [] }, { quals: ['NCCCO'] }],
      });
      const dispatcher = {
        authorization: `Bearer ${await identity.token({ roles: ['dispatcher'], tenant: slug })}`,
        'content-type': 'application/json',
      };
      const call = async (method: string, url: string, body?: unknown, extra: Record<string, string> = {}) =>
        fetch(`${base}${url}`, {
          method,
          headers: { ...dispatcher, ...extra },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      // A dispatch lifecycle: create (matched at once), queue, complete (frees and re-matches), recall, reports.
      const ids: string[] = [];
      for (const type of ['VAN', 'VAN', 'VAN', 'CRANE']) {
        const created = await call('POST', '/api/v1/work-orders', {
          siteId: fleet.siteId,
          description: 'citus',
          priority: 'urgent',
          lines: [{ equipmentTypeId: fleet.typeIds[type], quantity: 1 }],
        });
        ids.push(...((await created.json()) as { dispatchIds: string[] }).dispatchIds);
      }
      for (const [i, id] of ids.entries()) {
        const d = (await (await call('GET', `/api/v1/dispatches/${id}`)).json()) as { status: string; version: number };
        if (d.status === 'dispatched') {
          await call(
            'POST',
            `/api/v1/dispatches/${id}/${i === 0 ? 'recall' : 'status'}`,
            i === 0 ? { reason: 'citus check' } : { status: 'completed' },
            { 'if-match': `"${d.version}"` },
          );
        }
        await call('GET', `/api/v1/dispatches/${id}/explain`);
      }
      // Every API route for every role (ids that exist where the path has one).
      for (const role of ['admin', 'dispatcher', 'driver', 'viewer'] as const) {
        const token = await identity.token({ roles: [role], tenant: slug });
        for (const route of testApp.routes.filter(
          (r) => r.url.startsWith('/api/v1/') && r.method === 'GET' && !r.url.endsWith('/events'),
        )) {
          const url = route.url.replace(/:[A-Za-z_]+/g, ids[1] ?? '00000000-0000-4000-8000-000000000000');
          await (await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
        }
      }
      await call('GET', '/api/v1/audit/verify');
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }, 120_000);
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await testApp?.app.close();
    await database?.close();
    await scratch?.drop();
  });

  it('captured a representative workload and lists it', () => {
    const distinct = new Map<string, number>();
    for (const s of captured) {
      const shape = s.text
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/\bt_citus_[ab]\b/g, 't_<tenant>')
        .replace(/\bym_[0-9a-f]{10}_citus_[ab]\b/g, 'ym_<database>_<tenant>');
      distinct.set(shape, (distinct.get(shape) ?? 0) + 1);
    }
    const file = path.resolve('artifacts', 'sql-statements.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      [...distinct]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([text, n]) => `${n}\t${text}`)
        .join('\n') + '\n',
    );
    expect(captured.length).toBeGreaterThan(1_000);
    expect(distinct.size).toBeGreaterThan(150);
    expect(captured.filter((s) => s.context?.startsWith('t_')).length).toBeGreaterThan(300);
  });

  it('the checker recognises the crossings it looks for', () => {
    expect(schemasOf({ text: 'select * from "t_a"."x" join control.tenants c on true', context: null })).toMatchObject({
      tenants: new Set(['t_a']),
      control: true,
    });
    expect(schemasOf({ text: 'select * from t_a.x join t_b.y on true', context: null }).tenants.size).toBe(2);
    expect(schemasOf({ text: 'select * from dispatches d join control.memberships m on true', context: 't_a' })).toMatchObject({
      control: true,
      unqualifiedInTenant: true,
    });
    expect(schemasOf({ text: 'insert into control.migrations (scope, name) values ($1, $2)', context: 't_a' }).unqualifiedInTenant).toBe(
      false,
    );
  });

  it('no statement names two tenant schemas, or a tenant schema and control together', () => {
    const crossing = captured.filter((s) => {
      const { tenants, control } = schemasOf(s);
      const pinned = s.context?.startsWith('t_') ? s.context : undefined;
      const all = new Set([...tenants, ...(pinned && tenants.size > 0 ? [pinned] : [])]);
      return all.size > 1 || (control && tenants.size > 0);
    });
    expect(crossing.map((s) => s.text)).toEqual([]);
  });

  it('inside a tenant transaction, no statement joins the tenant’s tables with control', () => {
    const joined = captured.filter((s) => {
      const { control, unqualifiedInTenant } = schemasOf(s);
      return control && unqualifiedInTenant;
    });
    expect(joined.map((s) => `[${s.context}] ${s.text}`)).toEqual([]);
  });

  it('the catalog has no foreign key, sequence default, trigger or view crossing schemas', async () => {
    const foreignKeys = await sql<{ name: string }>`
      select c.conname || ': ' || c.conrelid::regclass || ' -> ' || c.confrelid::regclass as name
        from pg_constraint c
        join pg_class a on a.oid = c.conrelid join pg_class b on b.oid = c.confrelid
       where c.contype = 'f' and a.relnamespace <> b.relnamespace`.execute(database.db);
    expect(foreignKeys.rows).toEqual([]);
    const defaults = await sql<{ name: string }>`
      select d.adrelid::regclass || '.' || a.attname || ' = ' || pg_get_expr(d.adbin, d.adrelid) as name
        from pg_attrdef d
        join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
        join pg_class t on t.oid = d.adrelid join pg_namespace n on n.oid = t.relnamespace
        join pg_depend dep on dep.classid = 'pg_attrdef'::regclass and dep.objid = d.oid and dep.refclassid = 'pg_class'::regclass
        join pg_class s on s.oid = dep.refobjid and s.relkind = 'S'
       where s.relnamespace <> t.relnamespace`.execute(database.db);
    expect(defaults.rows).toEqual([]);
    const triggers = await sql<{ name: string }>`
      select tg.tgname || ' on ' || tg.tgrelid::regclass || ' calls ' || p.oid::regprocedure as name
        from pg_trigger tg
        join pg_class t on t.oid = tg.tgrelid join pg_proc p on p.oid = tg.tgfoid
       where not tg.tgisinternal and p.pronamespace <> t.relnamespace and p.pronamespace <> 'pg_catalog'::regnamespace`.execute(
      database.db,
    );
    expect(triggers.rows).toEqual([]);
    // Functions and views that live in a tenant schema name no other schema in their bodies.
    const bodies = await sql<{ name: string; schema: string; body: string }>`
      select p.oid::regprocedure::text as name, n.nspname as schema, p.prosrc as body
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname like 't\\_%'
      union all
      select c.oid::regclass::text, n.nspname, pg_get_viewdef(c.oid)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('v', 'm') and n.nspname like 't\\_%'`.execute(
      database.db,
    );
    expect(bodies.rows.length).toBeGreaterThan(0);
    const leaking = bodies.rows.filter((r) => CONTROL.test(r.body) || [...r.body.matchAll(TENANT)].some((m) => m[1] !== r.schema));
    expect(leaking.map((r) => r.name)).toEqual([]);
    // Every table of a tenant schema is in that schema only: the same tables in each tenant.
    const tables = await sql<{ schema: string; n: number }>`
      select table_schema as schema, count(*)::int as n from information_schema.tables where table_schema like 't\\_%' group by 1`.execute(
      database.db,
    );
    expect(new Set(tables.rows.map((t) => t.n)).size).toBe(1);
  });
});
