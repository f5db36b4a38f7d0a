import { sql, type Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ControlTables } from '../../platform/db/index.js';
import './auth.tables.js';

/** Expired rows are swept now and then, not on every write. */
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * oidc-provider's storage in `control.oidc_payloads`, so sign-in sessions and refresh tokens
 * survive restarts and are shared by every server instance. One adapter per model name.
 */
export function createDbAdapterFactory(db: Kysely<ControlTables>): (model: string) => Adapter {
  let lastSweep = 0;
  async function sweep(): Promise<void> {
    if (Date.now() - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = Date.now();
    await db
      .deleteFrom('control.oidc_payloads')
      .where('expires_at', '<', sql<Date>`now()`)
      .execute();
  }

  return (model) => {
    async function findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
      const row = await db
        .selectFrom('control.oidc_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where(column, '=', value)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
        .executeTakeFirst();
      if (!row) return undefined;
      const payload = row.payload as AdapterPayload;
      return row.consumed_at ? { ...payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : payload;
    }

    return {
      async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
        const values = {
          payload: JSON.stringify(payload),
          grant_id: payload.grantId ?? null,
          user_code: payload.userCode ?? null,
          uid: payload.uid ?? null,
          expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        };
        await db
          .insertInto('control.oidc_payloads')
          .values({ model, id, ...values })
          .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(values))
          .execute();
        await sweep();
      },
      find: (id: string) => findWhere('id', id),
      findByUid: (uid: string) => findWhere('uid', uid),
      findByUserCode: (userCode: string) => findWhere('user_code', userCode),
      async consume(id: string): Promise<void> {
        await db
          .updateTable('control.oidc_payloads')
          .set({ consumed_at: sql<Date>`now()` })
          .where('model', '=', model)
          .where('id', '=', id)
          .execute();
      },
      async destroy(id: string): Promise<void> {
        await db.deleteFrom('control.oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
      },
      async revokeByGrantId(grantId: string): Promise<void> {
        await db.deleteFrom('control.oidc_payloads').where('grant_id', '=', grantId).execute();
      },
    };
  };
}
