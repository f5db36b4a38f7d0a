import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ControlTables } from '../../platform/db/index.js';
import { schedule, type SchedulerLog } from '../../platform/scheduler.js';
import './limits.tables.js';

export type StreamSlotSettings = {
  /** A stream row lives this long without a heartbeat (a crashed instance's streams expire). */
  ttlMs: number;
  /** How often an instance renews the rows of its open streams. */
  heartbeatMs: number;
};

export const defaultStreamSlotSettings = (): StreamSlotSettings => ({ ttlMs: 90_000, heartbeatMs: 30_000 });

type Slot = { id: string; tenantSlug: string; userKey: string };

export type SlotVerdict = { ok: true; release: () => void } | { ok: false; scope: 'user' | 'tenant'; open: number };

/**
 * The registry of open live streams, shared by every instance (`control.live_streams`). Opening a
 * stream counts the user's and the tenant's unexpired rows and registers the new one in a short
 * transaction serialised per tenant (an advisory lock), so concurrent opens on several instances
 * cannot overshoot a cap. Each instance renews its rows on a heartbeat (re-inserting any the
 * database lost); rows of an instance that stopped heartbeating expire after `ttlMs`.
 */
export function createStreamSlots(db: Kysely<ControlTables>, settings: StreamSlotSettings, log: SchedulerLog) {
  const instanceId = randomUUID();
  const open = new Map<string, Slot>();
  let stopHeartbeat: (() => void) | null = null;

  const expiry = (): Date => new Date(Date.now() + settings.ttlMs);

  async function heartbeat(): Promise<void> {
    const slots = [...open.values()];
    for (let i = 0; i < slots.length; i += 1_000) {
      const chunk = slots.slice(i, i + 1_000);
      const expiresAt = expiry();
      await db
        .insertInto('control.live_streams')
        .values(
          chunk.map((s) => ({ id: s.id, instance_id: instanceId, tenant_slug: s.tenantSlug, user_key: s.userKey, expires_at: expiresAt })),
        )
        .onConflict((oc) => oc.column('id').doUpdateSet({ expires_at: expiresAt }))
        .execute();
    }
    await db
      .deleteFrom('control.live_streams')
      .where('expires_at', '<', sql<Date>`now()`)
      .execute();
  }

  function release(id: string): void {
    if (!open.delete(id)) return;
    db.deleteFrom('control.live_streams')
      .where('id', '=', id)
      .execute()
      .catch((error: unknown) => log.warn({ err: error }, 'live stream slot release failed (its row expires without heartbeats)'));
  }

  return {
    instanceId,
    openCount: (): number => open.size,
    async acquire(tenantSlug: string, userKey: string, caps: { user: number; tenant: number }): Promise<SlotVerdict> {
      // This instance's own open streams are a part of the shared count: if they alone fill a cap,
      // refuse without asking the database (a flood of opens costs no round trip).
      let userHere = 0;
      let tenantHere = 0;
      for (const slot of open.values()) {
        if (slot.tenantSlug !== tenantSlug) continue;
        tenantHere++;
        if (slot.userKey === userKey) userHere++;
      }
      if (userHere >= caps.user) return { ok: false, scope: 'user', open: userHere };
      if (tenantHere >= caps.tenant) return { ok: false, scope: 'tenant', open: tenantHere };
      const id = randomUUID();
      const result = await db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`ym.live_streams.${tenantSlug}`}))`.execute(tx);
        const { rows } = await sql<{ user_open: number; tenant_open: number; inserted: number }>`
          with counts as (
            select count(*) filter (where user_key = ${userKey}) as user_open, count(*) as tenant_open
              from control.live_streams
             where tenant_slug = ${tenantSlug} and expires_at > now()
          ),
          ins as (
            insert into control.live_streams (id, instance_id, tenant_slug, user_key, expires_at)
            select ${id}::uuid, ${instanceId}::uuid, ${tenantSlug}, ${userKey}, ${expiry()}::timestamptz
              from counts
             where user_open < ${caps.user} and tenant_open < ${caps.tenant}
            returning id
          )
          select user_open, tenant_open, (select count(*) from ins) as inserted from counts`.execute(tx);
        return rows[0] as { user_open: number; tenant_open: number; inserted: number };
      });
      if (Number(result.inserted) === 0) {
        return Number(result.user_open) >= caps.user
          ? { ok: false, scope: 'user', open: Number(result.user_open) }
          : { ok: false, scope: 'tenant', open: Number(result.tenant_open) };
      }
      open.set(id, { id, tenantSlug, userKey });
      return { ok: true, release: () => release(id) };
    },
    start(): void {
      stopHeartbeat = schedule('live stream heartbeat', settings.heartbeatMs, log, heartbeat, { runNow: false });
    },
    async stop(): Promise<void> {
      stopHeartbeat?.();
      stopHeartbeat = null;
      open.clear();
      await db
        .deleteFrom('control.live_streams')
        .where('instance_id', '=', instanceId)
        .execute()
        .catch((error: unknown) =>
          log.warn({ err: error }, "this instance's live stream slots could not be removed (they expire without heartbeats)"),
        );
    },
    /** Renews this instance's rows now (tests; the timer does it every `heartbeatMs`). */
    heartbeat,
  };
}

export type StreamSlots = ReturnType<typeof createStreamSlots>;
