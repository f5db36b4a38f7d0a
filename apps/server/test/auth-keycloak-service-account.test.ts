import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet } from './support/fleet.js';

type Mapper = { protocolMapper: string; config: Record<string, string> };
type Realm = {
  clients: Array<{
    clientId: string;
    publicClient: boolean;
    clientAuthenticatorType?: string;
    secret?: string;
    standardFlowEnabled: boolean;
    implicitFlowEnabled: boolean;
    directAccessGrantsEnabled: boolean;
    serviceAccountsEnabled: boolean;
    protocolMappers: Mapper[];
  }>;
  users: Array<{ username: string; serviceAccountClientId?: string; realmRoles: string[]; attributes?: Record<string, string[]> }>;
};

const realm = JSON.parse(readFileSync(new URL('../../../deploy/keycloak/yardmaster-realm.json', import.meta.url), 'utf8')) as Realm;
const CLIENT = 'yardmaster-integration';

/**
 * With Keycloak, an integration is a confidential client with a service account. The shipped realm
 * has one for the demo tenant, and a token shaped as Keycloak issues it for that client is taken
 * by the API with the tenant and roles it carries.
 */
describe(`Keycloak service account for integrations on ${testDbKind()}`, () => {
  const client = realm.clients.find((c) => c.clientId === CLIENT);
  const serviceUser = realm.users.find((u) => u.serviceAccountClientId === CLIENT);

  it('ships a confidential client allowed the client-credentials grant only, with no secret in the file', () => {
    expect(client).toMatchObject({
      publicClient: false,
      clientAuthenticatorType: 'client-secret',
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
    });
    expect(client?.secret).toBeUndefined();
    const audience = client?.protocolMappers.find((m) => m.protocolMapper === 'oidc-audience-mapper');
    expect(audience?.config).toMatchObject({ 'included.custom.audience': 'yardmaster', 'access.token.claim': 'true' });
    const org = client?.protocolMappers.find((m) => m.protocolMapper === 'oidc-usermodel-attribute-mapper');
    expect(org?.config).toMatchObject({ 'user.attribute': 'org', 'claim.name': 'org', 'access.token.claim': 'true' });
  });

  it('gives its service account the dispatcher role in the demo tenant, never admin', () => {
    expect(serviceUser).toMatchObject({ username: `service-account-${CLIENT}`, realmRoles: ['dispatcher'] });
    expect(serviceUser?.attributes?.org).toEqual(['demo']);
  });

  describe('a token of that client', () => {
    let database: Database;
    let testApp: TestApp;
    let tenant: TenantRecord;
    let order: Record<string, unknown>;

    beforeAll(async () => {
      database = await openTestDatabase();
      tenant = await createTestTenant(database, 'kcsa');
      const fleet = await buildFleet(database, tenant.slug, { types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [] });
      order = {
        siteId: fleet.siteId,
        description: 'from the ERP',
        priority: 'standard',
        lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
      };
      testApp = await createTestApp(database);
    });
    afterAll(async () => {
      await testApp?.app.close();
      await database?.close();
    });

    it('creates a work order once with an Idempotency-Key; the audit trail names the service account', async () => {
      const subject = randomUUID();
      // What Keycloak puts in a client-credentials token of this client (roles mapped from the service account user).
      const token = await testApp.identity.token(
        { roles: ['dispatcher'], tenant: tenant.slug, sub: subject, name: `service-account-${CLIENT}` },
        {
          azp: CLIENT,
          client_id: CLIENT,
          preferred_username: `service-account-${CLIENT}`,
          realm_access: { roles: ['dispatcher', 'offline_access', 'default-roles-yardmaster'] },
          email: undefined,
        },
      );
      const post = () =>
        testApp.app.inject({
          method: 'POST',
          url: '/api/v1/work-orders',
          headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'erp-42' },
          payload: order,
        });
      const first = await post();
      expect(first.statusCode, first.body).toBe(201);
      const again = await post();
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());

      const admin = await testApp.identity.token({ roles: ['admin'], tenant: tenant.slug });
      const trail = await testApp.app.inject({
        method: 'GET',
        url: `/api/v1/audit?limit=50&actor=${subject}`,
        headers: { authorization: `Bearer ${admin}` },
      });
      const events = trail.json<{ items: Array<{ action: string; actor: { name: string } }> }>().items;
      expect(events.map((e) => e.action)).toContain('work_order.created');
      expect(events.every((e) => e.actor.name === `service-account-${CLIENT}`)).toBe(true);
      // Keycloak service accounts are managed in Keycloak: the API does not make secrets for them.
      const refused = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/service-accounts',
        headers: { authorization: `Bearer ${admin}` },
        payload: { name: 'ERP', roles: ['dispatcher'] },
      });
      expect(refused.statusCode).toBe(409);
      expect(String(refused.json<{ detail?: unknown }>().detail)).toContain('identity provider');
    });
  });
});
