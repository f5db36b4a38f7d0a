import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditHead, verifyAuditChain } from '../src/modules/audit/index.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { buildFleet, type Fleet } from './support/fleet.js';
import { pick, seededRandom } from './support/random.js';

/**
 * OpenAPI-driven fuzzing: every operation of the served document (/docs/json) gets type-confused
 * values, NUL bytes, huge strings, deep nesting, wrong or missing content types and bad path
 * parameters, with a token of a role the operation allows. No answer may be a 5xx (or hang), a
 * refused request must leave the audit chain exactly as it was, and the chain verifies at the end.
 * Seeded: replay a failure with FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 14);
/** Stop starting new rounds after this long (all operations are covered from the first round). */
const BUDGET_MS = 70_000;
const REQUEST_TIMEOUT_MS = 10_000;

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  minLength?: number;
  minimum?: number;
  minItems?: number;
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
};
type Parameter = { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema?: JsonSchema };
type Operation = {
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
};
type OpenApi = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } };

type Case = { label: string; method: string; url: string; headers: Record<string, string>; payload?: string | Buffer };

const NUL = 'a\u0000b';
const HUGE = 'x'.repeat(200_000);
const deepArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
/** Values of the wrong kind for any field. */
const NASTY: unknown[] = [
  NUL,
  '\u0000',
  HUGE,
  '',
  ' ',
  '\uD800',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  2 ** 63,
  true,
  false,
  null,
  [],
  {},
  [NUL],
  { __proto__: { admin: true } },
  { $gt: '' },
  deepObject(200),
  '1e999',
  'NaN',
  '-0',
  '99999999999999999999',
  '2026-02-30T25:61:00Z',
  '00000000-0000-0000-0000-000000000000',
  "'; drop table audit_events; --",
  '%00',
  '../../etc/passwd',
];
/** Query and header values (always text on the wire). */
const NASTY_TEXT = [
  NUL,
  '%00',
  HUGE.slice(0, 20_000),
  '',
  '-1',
  '0',
  '1e999',
  'NaN',
  '99999999999999999999',
  'true',
  '[]',
  '{}',
  '\uD800',
  '2026-13-45',
  '..%2F..',
];
const BAD_PATH = [
  'not-a-uuid',
  '%00',
  encodeURIComponent(NUL),
  'x'.repeat(5000),
  '-1',
  '%ZZ',
  '..%2F..%2Fdocs',
  '00000000-0000-0000-0000-000000000000',
  '%F0%28%8C%28',
  ' ',
];

/** Paths to every string inside a JSON value. */
function stringLeaves(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value === 'string') return [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...at, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...at, k]));
  return [];
}

function setAt(value: unknown, at: Array<string | number>, leaf: unknown): unknown {
  if (at.length === 0) return leaf;
  const [head, ...rest] = at;
  if (Array.isArray(value)) return (value as unknown[]).map((v, i) => (i === head ? setAt(v, rest, leaf) : v));
  const record = value as Record<string, unknown>;
  return { ...record, [head as string]: setAt(record[head as string], rest, leaf) };
}

describe(`OpenAPI-driven fuzzing of every route (seed ${SEED}, replay with FUZZ_SEED)`, () => {
  let database: Database;
  let t: TestApp;
  let tenant: TenantRecord;
  let fleet: Fleet;
  let workOrderId = '';
  let dispatchId = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED})`);
    database = await openTestDatabase();
    t = await createTestApp(database);
    tenant = await createTestTenant(database, 'fuzz');
    const driverSubject = 'fuzz-driver';
    fleet = await buildFleet(database, tenant.slug, {
      types: { TRUCK: ['CDL'] },
      equipment: { TRUCK: 2 },
      drivers: [{ quals: ['CDL'], subject: driverSubject }, { quals: ['CDL'] }],
    });
    for (const role of ['admin', 'dispatcher', 'viewer'] as const)
      tokens[role] = await t.identity.token({ roles: [role], tenant: tenant.slug });
    tokens.driver = await t.identity.token({ roles: ['driver'], tenant: tenant.slug, sub: driverSubject });
    tokens.operator = await t.identity.token({ roles: ['operator'] });
    const wo = await t.app.inject({
      method: 'POST',
      url: '/api/v1/work-orders',
      headers: { authorization: `Bearer ${tokens.dispatcher}` },
      payload: { siteId: fleet.siteId, description: 'Fuzz target', lines: [{ equipmentTypeId: fleet.typeIds.TRUCK, quantity: 1 }] },
    });
    expect(wo.statusCode, wo.body).toBe(201);
    workOrderId = wo.json<{ id: string }>().id;
    const dispatches = await t.app.inject({
      method: 'GET',
      url: `/api/v1/dispatches?workOrderId=${workOrderId}`,
      headers: { authorization: `Bearer ${tokens.dispatcher}` },
    });
    dispatchId = dispatches.json<{ items: Array<{ id: string }> }>().items[0]?.id ?? '';
    expect(dispatchId).not.toBe('');
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  it('answers no 5xx to hostile input on any route, and refused requests change nothing', async () => {
    const random = seededRandom(SEED);
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApi>();
    const resolve = (schema: JsonSchema | undefined): JsonSchema => {
      if (!schema) return {};
      if (schema.$ref) return resolve(doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')]);
      return schema;
    };

    const idFor = (name: string, path: string): string => {
      const n = name.toLowerCase();
      const all = [
        fleet.siteId,
        ...Object.values(fleet.qualificationIds),
        ...Object.values(fleet.typeIds),
        ...Object.values(fleet.equipmentIds).flat(),
        ...fleet.driverIds,
        workOrderId,
        dispatchId,
      ];
      if (n.startsWith('site')) return fleet.siteId;
      if (n.startsWith('qualification')) return fleet.qualificationIds.CDL ?? '';
      if (n.startsWith('equipmenttype')) return fleet.typeIds.TRUCK ?? '';
      if (n.startsWith('equipment')) return fleet.equipmentIds.TRUCK?.[0] ?? '';
      if (n.startsWith('driver')) return fleet.driverIds[0] ?? '';
      if (n.startsWith('workorder')) return workOrderId;
      if (n.startsWith('dispatch')) return dispatchId;
      if (n === 'id') {
        if (path.includes('/sites/')) return fleet.siteId;
        if (path.includes('/qualifications/')) return fleet.qualificationIds.CDL ?? '';
        if (path.includes('/equipment-types/')) return fleet.typeIds.TRUCK ?? '';
        if (path.includes('/equipment/')) return fleet.equipmentIds.TRUCK?.[1] ?? '';
        if (path.includes('/drivers/')) return fleet.driverIds[1] ?? '';
        if (path.includes('/work-orders/')) return workOrderId;
        if (path.includes('/dispatches/')) return dispatchId;
      }
      return pick(random, all) ?? '';
    };

    /** A plausible valid value for a schema (the fuzzer then breaks one part of it). */
    const validValue = (raw: JsonSchema | undefined, name: string, path: string, depth = 0): unknown => {
      const schema = resolve(raw);
      if (depth > 6) return null;
      if (schema.const !== undefined) return schema.const;
      if (schema.enum) return pick(random, schema.enum);
      if (schema.default !== undefined && random() < 0.3) return schema.default;
      const options = schema.anyOf ?? schema.oneOf;
      if (options) return validValue(options.find((o) => resolve(o).type !== 'null') ?? options[0], name, path, depth + 1);
      if (schema.allOf?.[0]) return validValue(schema.allOf[0], name, path, depth + 1);
      const type = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
      switch (type ?? 'string') {
        case 'object': {
          const out: Record<string, unknown> = {};
          for (const [key, prop] of Object.entries(schema.properties ?? {})) {
            if (schema.required?.includes(key) || random() < 0.5) out[key] = validValue(prop, key, path, depth + 1);
          }
          return out;
        }
        case 'array':
          return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => validValue(schema.items, name, path, depth + 1));
        case 'integer':
        case 'number':
          return Math.max(schema.minimum ?? 1, 1);
        case 'boolean':
          return random() < 0.5;
        case 'string':
          if (schema.format === 'uuid') return idFor(name, path);
          if (schema.format === 'date-time') return new Date(Date.now() + Math.floor(random() * 3) * 3600_000).toISOString();
          if (schema.format === 'date') return '2030-01-31';
          if (schema.format === 'email') return `fuzz${Math.floor(random() * 1e6)}@example.test`;
          if (schema.format === 'uri') return 'https://93.184.215.14/fuzz';
          return `FUZZ-${Math.floor(random() * 1e6)}`.padEnd(schema.minLength ?? 0, 'x');
        default:
          return 'x';
      }
    };

    /** Replaces one randomly chosen leaf or branch of `value` with a nasty one. */
    const mutate = (value: unknown): unknown => {
      if (random() < 0.15 || value === null || typeof value !== 'object') return pick(random, NASTY);
      if (Array.isArray(value)) {
        const items = value as unknown[];
        if (items.length === 0 || random() < 0.2) return [...items, pick(random, NASTY)];
        const copy = [...items];
        const index = Math.floor(random() * copy.length);
        copy[index] = mutate(copy[index]);
        return copy;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length === 0 || random() < 0.1)
        return { ...record, [pick(random, ['unexpected', '__proto__', 'constructor', '']) ?? 'x']: pick(random, NASTY) };
      const key = pick(random, keys) ?? '';
      return { ...record, [key]: mutate(record[key]) };
    };

    type Route = { method: string; path: string; op: Operation; token: string | undefined };
    const routes: Route[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const access = op.description?.match(/^(Roles|Access): (.*)$/m);
        let token: string | undefined;
        if (access?.[1] === 'Roles') token = tokens[access[2]?.split(', ')[0] ?? ''];
        else if (access?.[2] === 'operator') token = tokens.operator;
        else if (access) token = tokens.admin;
        routes.push({ method: method.toUpperCase(), path, op, token });
      }
    }
    // Every route the app registered under /api is in the document (nothing escapes the fuzzer).
    const documented = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const registered = t.routes
      .filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect(registered.filter((r) => !documented.has(r))).toEqual([]);
    expect(routes.length).toBeGreaterThan(80);

    const buildCase = (route: Route, round: number): Case => {
      const { method, path, op } = route;
      const params = op.parameters ?? [];
      const headers: Record<string, string> = {};
      if (route.token) headers.authorization = `Bearer ${route.token}`;
      const strategy = round === 0 ? 'body' : (pick(random, ['path', 'query', 'body', 'body', 'body', 'content-type', 'header']) ?? 'body');
      let url = path.replace(/\{([A-Za-z]+)\}/g, (_m, name: string) => {
        if (strategy === 'path' && random() < 0.7) return pick(random, BAD_PATH) ?? '';
        if (name === 'kind') return pick(random, ['equipment', 'drivers', 'sites']) ?? 'sites';
        if (name === 'slug') return tenant.slug;
        if (name === 'entityType') return pick(random, ['site', 'dispatch', 'work_order']) ?? 'site';
        if (name === 'entityId') return idFor('siteId', path);
        return idFor(name, path);
      });
      const query = new URLSearchParams();
      for (const p of params.filter((x) => x.in === 'query')) {
        if (strategy === 'query' && random() < 0.6) {
          query.append(p.name, pick(random, NASTY_TEXT) ?? '');
          if (random() < 0.2) query.append(p.name, pick(random, NASTY_TEXT) ?? '');
        } else if (p.required || random() < 0.3) {
          query.append(p.name, String(validValue(p.schema, p.name, path)));
        }
      }
      if (strategy === 'query' && random() < 0.2) query.append(pick(random, ['__proto__', 'unknown', '']) ?? 'x', NUL);
      const qs = query.toString();
      if (qs) url += `?${qs}`;
      if (strategy === 'header') {
        const name =
          pick(random, ['if-match', 'last-event-id', 'idempotency-key', 'x-request-id', 'user-agent', 'accept', 'x-forwarded-for']) ??
          'if-match';
        headers[name] =
          pick(random, ['\u0000', 'W/"x"', '"-1"', '"99999999999999999999"', '*', HUGE.slice(0, 8_000), '1e999', 'NaN', '', '"1", "2"']) ??
          '';
      } else if (method === 'PATCH' || (method === 'PUT' && random() < 0.5)) {
        headers['if-match'] = pick(random, ['"1"', '"2"', 'W/"1"', '"0"']) ?? '"1"';
      }
      for (const p of params.filter((x) => x.in === 'header' && x.name !== 'if-match')) {
        if (!(p.name in headers)) headers[p.name] = strategy === 'header' ? (pick(random, NASTY_TEXT) ?? '') : 'nope';
      }
      let payload: string | Buffer | undefined;
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (method !== 'GET' && method !== 'DELETE' && (schema || op.requestBody)) {
        if (path.includes('/imports/')) {
          headers['content-type'] = 'text/csv';
          const rows = [
            `name,address\n${NUL},x`,
            `asset_tag,name,type_code\n=cmd,${HUGE.slice(0, 5000)},TRUCK`,
            '"unclosed',
            'a,b\n"x"y',
            '\uFEFF',
            'name\n'.repeat(5000),
            `${'a,'.repeat(2000)}\n`,
          ];
          payload = pick(random, rows);
        } else if (strategy === 'content-type') {
          const variant =
            pick(random, ['none', 'text', 'xml', 'broken-json', 'empty-json', 'charset', 'multipart', 'form', 'deep-array', 'octet']) ??
            'none';
          const body = JSON.stringify(validValue(schema, '', path));
          if (variant === 'none') payload = body;
          else if (variant === 'text') [headers['content-type'], payload] = ['text/plain', body];
          else if (variant === 'xml') [headers['content-type'], payload] = ['application/xml', '<a>&xxe;</a>'];
          else if (variant === 'broken-json')
            [headers['content-type'], payload] = ['application/json', body.slice(0, Math.max(1, body.length - 3))];
          else if (variant === 'empty-json') [headers['content-type'], payload] = ['application/json', ''];
          else if (variant === 'charset') [headers['content-type'], payload] = ['application/json; charset=utf-16', body];
          else if (variant === 'multipart')
            [headers['content-type'], payload] = [
              'multipart/form-data; boundary=zz',
              '--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--zz--',
            ];
          else if (variant === 'form') [headers['content-type'], payload] = ['application/x-www-form-urlencoded', 'a=1&a=2&__proto__[x]=1'];
          else if (variant === 'deep-array') [headers['content-type'], payload] = ['application/json', deepArray(20_000)];
          else [headers['content-type'], payload] = ['application/octet-stream', Buffer.from([0, 255, 0, 1])];
          if (variant === 'none') delete headers['content-type'];
        } else {
          headers['content-type'] = 'application/json';
          const valid = validValue(schema, '', path);
          payload = JSON.stringify(strategy === 'body' || random() < 0.3 ? mutate(valid) : valid) ?? 'null';
        }
      } else if (strategy === 'content-type') {
        headers['content-type'] = 'application/json';
        payload = '{"unexpected": "body"';
      }
      return { label: `${method} ${path} [${strategy}]`, method, url, headers, ...(payload !== undefined ? { payload } : {}) };
    };

    const head = () => withTenant(database.db, tenant.slug, auditHead);
    let lastHead = await head();
    const failures: string[] = [];
    const counts = { requests: 0, byStatus: new Map<number, number>() };
    const routesWith500 = new Set<string>();
    const run = async (route: Route, c: Case): Promise<void> => {
      // The live stream answers only after an invalid request is refused; a valid one would stay open.
      if (route.path === '/api/v1/events')
        c.headers['last-event-id'] = pick(random, [NUL, 'abc', '-1', HUGE.slice(0, 5000), '1e9', 'x']) ?? 'abc';
      let timer: NodeJS.Timeout | undefined;
      const response = await Promise.race([
        t.app.inject({
          method: c.method as 'GET',
          url: c.url,
          headers: c.headers,
          ...(c.payload !== undefined ? { payload: c.payload } : {}),
        }),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${c.label} did not answer within ${REQUEST_TIMEOUT_MS} ms (${c.url.slice(0, 200)})`)),
            REQUEST_TIMEOUT_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      counts.requests++;
      counts.byStatus.set(response.statusCode, (counts.byStatus.get(response.statusCode) ?? 0) + 1);
      const describeCase = () =>
        `${c.label} → ${response.statusCode}: ${c.url.slice(0, 160)} headers=${JSON.stringify({ ...c.headers, authorization: c.headers.authorization ? '<token>' : undefined }).slice(0, 300)} body=${String(c.payload ?? '').slice(0, 300)} answer=${response.body.slice(0, 300)}`;
      if (response.statusCode >= 500) {
        failures.push(describeCase());
        routesWith500.add(`${route.method} ${route.path}`);
      }
      if (
        response.statusCode >= 400 &&
        response.statusCode < 500 &&
        !String(response.headers['content-type']).includes('application/problem+json')
      ) {
        failures.push(`not problem+json: ${describeCase()}`);
      }
      const now = await head();
      if (response.statusCode >= 400 && (now.sequence !== lastHead.sequence || now.hash !== lastHead.hash))
        failures.push(`a refused request changed the audit trail: ${describeCase()}`);
      lastHead = now;
    };

    const started = Date.now();
    // Systematic pass: a NUL in every string of every body, and in every query parameter.
    for (const route of routes) {
      const base = buildCase(route, 0);
      const schema = route.op.requestBody?.content?.['application/json']?.schema;
      if (schema && base.headers['content-type'] === 'application/json') {
        const valid = validValue(schema, '', route.path);
        for (const leaf of stringLeaves(valid)) {
          await run(route, {
            ...base,
            label: `${base.label.replace(/\[.*\]/, '[nul-sweep]')} ${leaf.join('.')}`,
            headers: { ...base.headers },
            payload: JSON.stringify(setAt(valid, leaf, NUL)),
          });
        }
      }
      for (const p of (route.op.parameters ?? []).filter((x) => x.in === 'query')) {
        const [pathOnly] = base.url.split('?');
        await run(route, {
          ...base,
          label: `${route.method} ${route.path} [nul-sweep] ?${p.name}`,
          headers: { ...base.headers },
          url: `${pathOnly ?? ''}?${p.name}=${encodeURIComponent(NUL)}`,
        });
      }
    }
    for (let round = 0; round < ROUNDS && Date.now() - started < BUDGET_MS; round++) {
      for (const route of routes) await run(route, buildCase(route, round));
    }
    const elapsed = Date.now() - started;
    console.log(
      `fuzz: ${counts.requests} requests over ${routes.length} operations in ${elapsed} ms; statuses ${[...counts.byStatus.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    );
    if (routesWith500.size > 0) console.log(`routes that answered 5xx: ${routesWith500.size}\n  ${[...routesWith500].join('\n  ')}`);
    expect(failures).toEqual([]);
    const verified = await verifyAuditChain(database.db, tenant.slug);
    expect(verified.ok).toBe(true);
  }, 150_000);
});
