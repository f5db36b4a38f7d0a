import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  CreateServiceAccountSchema,
  ServiceAccountParamsSchema,
  ServiceAccountSchema,
  ServiceAccountWithSecretSchema,
} from '@yardmaster/contracts';
import { z } from 'zod';
import type { Database } from '../../platform/db/index.js';
import { conflict } from '../../platform/errors.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { startIdempotencyCleanup } from './idempotency.js';
import { createServiceAccount, listServiceAccounts, revokeServiceAccount, rotateServiceAccountSecret } from './service-accounts.js';

export type IntegrationsRoutesOptions = {
  /**
   * The embedded provider's token endpoint; absent when an external issuer (Keycloak) owns
   * clients, where service accounts are that provider's confidential clients instead.
   */
  tokenEndpoint?: string | undefined;
  idempotencyCleanupMs?: number | undefined;
};

const ADMINS = { roles: ['admin'] } as const;
const tags = ['service-accounts'];

/** Service accounts of integrations (admins only), and the hourly clean-up of expired Idempotency-Keys. */
export function integrationsRoutes(database: Database, options: IntegrationsRoutesOptions = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    let stopCleanup: (() => void) | undefined;
    app.addHook('onReady', async () => {
      stopCleanup = startIdempotencyCleanup(database, app.log, options.idempotencyCleanupMs);
    });
    app.addHook('onClose', async () => stopCleanup?.());

    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    const tokenEndpoint = (): string => {
      if (options.tokenEndpoint === undefined) {
        throw conflict(
          'service accounts are clients of your identity provider: create a confidential client with a service account there (see docs/identity.md)',
        );
      }
      return options.tokenEndpoint;
    };

    r.get(
      '/api/v1/service-accounts',
      {
        config: { access: ADMINS },
        schema: {
          tags,
          summary: "The tenant's service accounts (never their secrets)",
          response: { 200: z.object({ items: z.array(ServiceAccountSchema) }) },
        },
      },
      (request) => inTenant(request, (tx, caller) => listServiceAccounts(tx, caller)),
    );
    r.post(
      '/api/v1/service-accounts',
      {
        config: { access: ADMINS },
        schema: {
          tags,
          summary: 'Create a service account for an integration; the answer is the only time its secret is shown',
          description:
            'The integration obtains access tokens with the OAuth 2.0 client-credentials grant at `tokenEndpoint` ' +
            '(HTTP Basic authentication with `clientId` and `clientSecret`). Only a hash of the secret is kept.',
          body: CreateServiceAccountSchema,
          response: { 201: ServiceAccountWithSecretSchema },
        },
      },
      async (request, reply) => {
        const endpoint = tokenEndpoint();
        const created = await inTenant(request, (tx, caller) => createServiceAccount(tx, caller, request.body, endpoint));
        return reply
          .status(201)
          .header('cache-control', 'no-store')
          .header('location', `/api/v1/service-accounts/${created.id}`)
          .send(created);
      },
    );
    r.post(
      '/api/v1/service-accounts/:id/rotate-secret',
      {
        config: { access: ADMINS },
        schema: {
          tags,
          summary: 'Replace the secret (the previous one stops working at once); the answer is the only time the new one is shown',
          params: ServiceAccountParamsSchema,
          response: { 200: ServiceAccountWithSecretSchema },
        },
      },
      async (request, reply) => {
        const endpoint = tokenEndpoint();
        const rotated = await inTenant(request, (tx, caller) => rotateServiceAccountSecret(tx, caller, request.params.id, endpoint));
        return reply.header('cache-control', 'no-store').send(rotated);
      },
    );
    r.post(
      '/api/v1/service-accounts/:id/revoke',
      {
        config: { access: ADMINS },
        schema: {
          tags,
          summary: 'Revoke for good: no new tokens, and tokens already issued are refused from the next request',
          params: ServiceAccountParamsSchema,
          response: { 200: ServiceAccountSchema },
        },
      },
      (request) => inTenant(request, (tx, caller) => revokeServiceAccount(tx, caller, request.params.id)),
    );
  };
}
