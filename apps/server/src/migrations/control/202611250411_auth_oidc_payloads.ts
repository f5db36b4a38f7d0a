import { sql, type Transaction } from 'kysely';

export const name = '202611250411_auth_oidc_payloads';

/**
 * State of the embedded OpenID provider (sessions, interactions, grants, authorization codes,
 * refresh tokens): durable across restarts and shared by several server instances.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.oidc_payloads (
      model text not null,
      id text not null,
      payload jsonb not null,
      grant_id text,
      user_code text,
      uid text,
      expires_at timestamptz,
      consumed_at timestamptz,
      primary key (model, id)
    )`.execute(db);
  await sql`create index oidc_payloads_grant_idx on control.oidc_payloads (grant_id) where grant_id is not null`.execute(db);
  await sql`create index oidc_payloads_uid_idx on control.oidc_payloads (model, uid) where uid is not null`.execute(db);
  await sql`create index oidc_payloads_expires_idx on control.oidc_payloads (expires_at) where expires_at is not null`.execute(db);
}
