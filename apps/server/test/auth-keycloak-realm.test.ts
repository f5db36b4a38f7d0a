import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_OPERATOR, DEMO_USERS, EMBEDDED_CLIENT_ID } from '../src/modules/auth/index.js';

type Mapper = { protocolMapper: string; config: Record<string, string> };
type Realm = {
  realm: string;
  accessTokenLifespan: number;
  roles: { realm: Array<{ name: string }> };
  clients: Array<{
    clientId: string;
    publicClient: boolean;
    standardFlowEnabled: boolean;
    implicitFlowEnabled: boolean;
    attributes: Record<string, string>;
    protocolMappers: Mapper[];
  }>;
  users: Array<{
    id: string;
    email: string;
    realmRoles: string[];
    attributes: Record<string, string[]>;
    credentials: Array<{ value: string }>;
  }>;
};

const realm = JSON.parse(readFileSync(new URL('../../../deploy/keycloak/yardmaster-realm.json', import.meta.url), 'utf8')) as Realm;

/** The shipped Keycloak realm issues tokens the server accepts, with the same demo people as the embedded provider. */
describe('Keycloak realm export', () => {
  const client = realm.clients.find((c) => c.clientId === EMBEDDED_CLIENT_ID);

  it('defines the Yardmaster roles as realm roles', () => {
    expect(realm.roles.realm.map((r) => r.name).sort()).toEqual(['admin', 'dispatcher', 'driver', 'operator', 'viewer']);
  });

  it('has a public web client with authorization code + PKCE (S256) only and short access tokens', () => {
    expect(client).toMatchObject({ publicClient: true, standardFlowEnabled: true, implicitFlowEnabled: false });
    expect(client?.attributes['pkce.code.challenge.method']).toBe('S256');
    expect(realm.accessTokenLifespan).toBeLessThanOrEqual(300);
  });

  it('puts the yardmaster audience and the org (tenant) claim into access tokens', () => {
    const audience = client?.protocolMappers.find((m) => m.protocolMapper === 'oidc-audience-mapper');
    expect(audience?.config).toMatchObject({ 'included.custom.audience': 'yardmaster', 'access.token.claim': 'true' });
    const org = client?.protocolMappers.find((m) => m.protocolMapper === 'oidc-usermodel-attribute-mapper');
    expect(org?.config).toMatchObject({ 'user.attribute': 'org', 'claim.name': 'org', 'access.token.claim': 'true' });
  });

  it('ships the demo users with the same subjects, e-mails and roles as the embedded provider', () => {
    for (const demo of [...DEMO_USERS, DEMO_OPERATOR]) {
      const user = realm.users.find((u) => u.email === demo.email);
      expect(user, demo.email).toBeDefined();
      expect(user?.id).toBe(demo.id);
      expect(user?.realmRoles).toEqual([...demo.roles]);
      expect(user?.credentials[0]?.value).toBe(demo.password);
    }
    expect(realm.users.find((u) => u.email === DEMO_USERS[0].email)?.attributes.org).toEqual(['demo']);
  });
});
