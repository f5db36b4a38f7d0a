import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { migrations } from '../../src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant, withTenant, type Database } from '../../src/platform/db/index.js';
import { verifyAuditChain } from '../../src/modules/audit/index.js';
import { checkDispatchInvariants } from '../support/dispatch-invariants.js';
import type { Fleet } from '../support/fleet.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const cluster = () => inject('faultCluster');

/** Runs SQL on the throwaway cluster as its superuser (a fresh connection each time). */
export async function admin<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
  database = 'postgres',
): Promise<R[]> {
  const client = new pg.Client({ connectionString: cluster().url.replace(/\/postgres$/, `/${database}`), connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh, migrated database on the throwaway cluster, with the given pool. */
export async function openFaultDatabase(
  pool: { poolSize?: number; poolTimeoutMs?: number } = {},
): Promise<{ database: Database; name: string }> {
  const name = `fault_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const database = await openDatabase({
    kind: 'postgres',
    url: cluster().url.replace(/\/postgres$/, `/${name}`),
    poolSize: pool.poolSize ?? 10,
    poolTimeoutMs: pool.poolTimeoutMs ?? 2_000,
  });
  await migrateAll(database.db, migrations);
  return { database, name };
}

export async function createFaultTenant(database: Database, prefix: string): Promise<string> {
  const slug = `${prefix}_${randomBytes(3).toString('hex')}`;
  await provisionTenant(database.db, { slug, name: `Fault ${prefix}`, timeZone: 'UTC' }, migrations.tenant);
  return slug;
}

export async function listenOn(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** One answer the load saw. `error` = no HTTP answer at all (refused, reset, or no answer in time). */
export type Sample = {
  at: number;
  what: 'create' | 'complete' | 'board' | 'list';
  status: number;
  ms: number;
  contentType: string;
  retryAfter: string | null;
  problemType: string | null;
  error: string | null;
};

/** What no client may see, whatever the database does: a 5xx other than 503, a 503 without problem+json or Retry-After, no answer. */
export function badSamples(samples: Sample[]): Sample[] {
  return samples.filter(
    (s) =>
      s.error !== null ||
      ![200, 201, 409, 503].includes(s.status) ||
      (s.status === 503 && (!s.contentType.startsWith('application/problem+json') || !/^\d+$/.test(s.retryAfter ?? ''))),
  );
}

const REQUEST_TIMEOUT_MS = 12_000;

/**
 * Dispatcher traffic over real HTTP from `clients` loops: create work orders (the acknowledged
 * writes: every 201's id), complete active dispatches (If-Match), read the board and the list.
 */
export function startLoad(baseUrl: string, token: string, fleet: Fleet, options: { clients?: number; pauseMs?: number } = {}) {
  const samples: Sample[] = [];
  const acknowledged: string[] = [];
  /** Dispatches whose completion was answered 200. */
  const completed: string[] = [];
  let running = true;
  const call = async (what: Sample['what'], method: string, path: string, body?: unknown, ifMatch?: number): Promise<unknown> => {
    const started = Date.now();
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(ifMatch !== undefined ? { 'if-match': `"${ifMatch}"` } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      const contentType = response.headers.get('content-type') ?? '';
      const json = contentType.includes('json') && text ? (JSON.parse(text) as Record<string, unknown>) : null;
      samples.push({
        at: started,
        what,
        status: response.status,
        ms: Date.now() - started,
        contentType,
        retryAfter: response.headers.get('retry-after'),
        problemType: response.status >= 400 && typeof json?.type === 'string' ? json.type : null,
        error: null,
      });
      return response.ok ? json : null;
    } catch (error) {
      samples.push({
        at: started,
        what,
        status: 0,
        ms: Date.now() - started,
        contentType: '',
        retryAfter: null,
        problemType: null,
        error: String((error as Error).message),
      });
      return null;
    }
  };
  let turn = 0;
  const loop = async (): Promise<void> => {
    while (running) {
      const roll = turn++ % 4;
      if (roll === 0 || roll === 2) {
        const created = (await call('create', 'POST', '/api/v1/work-orders', {
          siteId: fleet.siteId,
          description: 'fault load',
          priority: roll === 0 ? 'standard' : 'urgent',
          lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
        })) as { id?: string } | null;
        if (created?.id) acknowledged.push(created.id);
      } else if (roll === 1) {
        const page = (await call('list', 'GET', '/api/v1/dispatches?status=dispatched,en_route,on_site,returning&limit=50')) as {
          items?: Array<{ id: string; version: number }>;
        } | null;
        const d = page?.items?.[Math.floor(Math.random() * page.items.length)];
        if (d && (await call('complete', 'POST', `/api/v1/dispatches/${d.id}/status`, { status: 'completed' }, d.version)))
          completed.push(d.id);
      } else {
        await call('board', 'GET', '/api/v1/board');
      }
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  const loops = Array.from({ length: options.clients ?? 6 }, () => loop());
  return {
    samples,
    acknowledged,
    completed,
    async stop(): Promise<Sample[]> {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

/** An SSE client: every event id in order, from `lastEventId` on when given. */
export function openStream(baseUrl: string, token: string, lastEventId?: number) {
  const ids: number[] = [];
  let buffer = '';
  let status = 0;
  let ended = false;
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  let markLive: () => void = () => undefined;
  const live = new Promise<void>((resolve) => (markLive = resolve));
  const request = http.get(`${baseUrl}/api/v1/events`, { headers });
  request.on('error', () => (ended = true));
  request.on('response', (response) => {
    status = response.statusCode ?? 0;
    response.setEncoding('utf8');
    response.on('end', () => (ended = true));
    response.on('error', () => (ended = true));
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (block === ': live') markLive();
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        if (id) ids.push(Number(id));
      }
    });
  });
  return {
    ids,
    live,
    status: () => status,
    isEnded: () => ended,
    async waitForId(id: number, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while ((ids.at(-1) ?? 0) < id) {
        if (Date.now() > deadline) throw new Error(`stream reached ${ids.at(-1) ?? 'nothing'}, expected ${id}`);
        await sleep(25);
      }
    },
    close: () => request.destroy(),
  };
}

/** The tenant's live-event ids in the database (gapless, in commit order). */
export async function eventIds(database: Database, slug: string, after = 0): Promise<number[]> {
  const rows = await withTenant(database.db, slug, (tx) =>
    sql<{ id: number }>`select id from live_events where id > ${after} order by id`.execute(tx),
  );
  return rows.rows.map((r) => r.id);
}

/**
 * The checks after every fault: every acknowledged write is a row (work orders created, dispatches
 * completed), the dispatch invariants hold (from the database alone), and the tenant's audit
 * chain verifies.
 */
export async function expectIntact(database: Database, slug: string, acknowledged: string[], completed: string[] = []): Promise<void> {
  const found = await withTenant(database.db, slug, (tx) =>
    sql<{ orders: number; done: number }>`select (select count(*)::int from work_orders where id = any(${acknowledged}::uuid[])) as orders,
      (select count(*)::int from dispatches where id = any(${completed}::uuid[]) and status = 'completed') as done`.execute(tx),
  );
  expect(found.rows[0]?.orders, 'acknowledged work orders present in the database').toBe(acknowledged.length);
  expect(found.rows[0]?.done, 'acknowledged completions present in the database').toBe(completed.length);
  const invariants = await checkDispatchInvariants(database, slug);
  expect(invariants.violations.slice(0, 10)).toEqual([]);
  const chain = await verifyAuditChain(database.db, slug);
  expect(chain).toMatchObject({ ok: true });
}

/** Polls /readyz every `everyMs` and records each answer's status (0 = no answer). */
export function watchReadiness(baseUrl: string, everyMs = 200) {
  const seen: Array<{ at: number; status: number }> = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const at = Date.now();
      try {
        const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        seen.push({ at, status: response.status });
      } catch {
        seen.push({ at, status: 0 });
      }
      await sleep(everyMs);
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await done;
      return seen;
    },
  };
}
