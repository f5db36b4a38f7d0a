import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { ControlTables } from '../../platform/db/index.js';
import {
  findServiceAccountByClientId,
  isServiceAccountClientId,
  isServiceAccountSecret,
  recordServiceAccountToken,
} from '../integrations/index.js';

/** The display name of a service account in tokens and in the audit trail. */
export const serviceAccountActorName = (name: string): string => `${name} (service account)`;

/**
 * Service accounts as clients of the embedded provider: found in their table on every request
 * (a revoked one is unknown at once), allowed the client-credentials grant only, authenticated by
 * HTTP Basic. The table keeps a SHA-256 of the secret, which the provider holds as the client's
 * "secret" and compares through `compareClientSecret`, overridden here for these clients only.
 */
export function serviceAccountClients(db: Kysely<ControlTables>, tenantClaim: string) {
  const refuse = (): never => {
    throw new Error('service-account clients are managed through /api/v1/service-accounts, not by the provider');
  };
  const adapter: Adapter = {
    async find(id: string): Promise<AdapterPayload | undefined> {
      const account = await findServiceAccountByClientId(db, id);
      if (!account?.active) return undefined;
      return {
        client_id: account.clientId,
        client_secret: account.secretHash,
        client_name: account.name,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      };
    },
    upsert: async () => refuse(),
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => refuse(),
    destroy: async () => refuse(),
    revokeByGrantId: async () => undefined,
  };

  return {
    adapter,
    install(provider: Provider): void {
      const prototype = provider.Client.prototype;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the client as `this`
      const compare = prototype.compareClientSecret;
      prototype.compareClientSecret = function compareClientSecret(this: InstanceType<Provider['Client']>, actual: string) {
        if (isServiceAccountClientId(this.clientId)) return isServiceAccountSecret(actual, this.clientSecret ?? '');
        return compare.call(this, actual);
      };
    },
    /** Claims of a client-credentials access token: the account's tenant and roles, Keycloak-shaped. */
    async tokenClaims(clientId: string): Promise<Record<string, unknown> | undefined> {
      const account = await findServiceAccountByClientId(db, clientId);
      if (!account?.active) return undefined;
      await recordServiceAccountToken(db, clientId);
      return {
        realm_access: { roles: account.roles },
        [tenantClaim]: account.tenantSlug,
        name: serviceAccountActorName(account.name),
        preferred_username: `service-account-${account.clientId}`,
      };
    },
  };
}
