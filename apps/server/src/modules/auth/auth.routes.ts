import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { text } from '@yardmaster/contracts';
import {
  ClientConfigSchema,
  MeSchema,
  RegisterTenantIssuerSchema,
  SignInOptionsSchema,
  SignInQuerySchema,
  TenantIssuerParamsSchema,
  TenantIssuerSchema,
  TenantSlugSchema,
  UpdateTenantIssuerSchema,
  type ClientConfig,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { notFound, unauthorized } from '../../platform/errors.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { findTenantBySlug, withTenant, type Database } from '../../platform/db/index.js';
import { createOutbound, type Outbound } from '../../platform/net/outbound.js';
import {
  assertIssuerReachable,
  createProviderDiscovery,
  listTenantIssuers,
  registerTenantIssuer,
  relayTokenRequest,
  removeTenantIssuer,
  signInOptionsFor,
  updateTenantIssuer,
} from './tenant-issuers.js';
import { regionScopeOf } from '../regions/index.js';
import { readTenantLocale } from '../locale/index.js';

const formValue = text().max(4096).optional();
/** The fields of an OAuth 2.0 token request that the relay passes on. */
const TokenRelayFormSchema = z.object({
  grant_type: z.enum(['authorization_code', 'refresh_token']),
  client_id: text().min(1).max(200),
  code: formValue,
  redirect_uri: formValue,
  code_verifier: formValue,
  refresh_token: formValue,
  scope: formValue,
});

export function authRoutes(database: Database, clientConfig: ClientConfig, outbound: Outbound = createOutbound()) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    const discover = createProviderDiscovery(outbound);
    r.get(
      '/api/v1/client-config',
      {
        config: { access: 'public' },
        schema: { tags: ['identity'], summary: 'OIDC settings for the web app to sign in with', response: { 200: ClientConfigSchema } },
      },
      async () => clientConfig,
    );
    // Web sign-in: which provider signs in the people of an organisation (named, or by e-mail domain).
    r.get(
      '/api/v1/sign-in',
      {
        config: { access: 'public' },
        schema: {
          tags: ['identity'],
          summary: "How the web app signs in a person of an organisation: the platform's provider or the tenant's own",
          querystring: SignInQuerySchema,
          response: { 200: SignInOptionsSchema },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return signInOptionsFor(database.db, request.query, clientConfig, discover);
      },
    );
    // The token endpoint of an organisation's provider, relayed: the browser may not call it (CORS, CSP).
    await app.register(async (scope) => {
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
      scope.withTypeProvider<ZodTypeProvider>().post(
        '/api/v1/sign-in/organisations/:slug/token',
        {
          config: { access: 'public' },
          schema: {
            tags: ['identity'],
            summary: "The organisation's token endpoint, relayed for the web app (answers in OAuth 2.0's format)",
            params: z.object({ slug: TenantSlugSchema }),
            body: TokenRelayFormSchema,
          },
        },
        async (request, reply) => {
          const answer = await relayTokenRequest(database.db, request.params.slug, request.body, discover, outbound);
          return reply.status(answer.status).header('cache-control', 'no-store').send(answer.body);
        },
      );
    });
    r.get(
      '/api/v1/me',
      {
        config: { access: 'authenticated' },
        schema: { tags: ['identity'], summary: 'Who the caller is: tenant and roles', response: { 200: MeSchema } },
      },
      async (request) => {
        const actor = request.actor;
        if (!actor) throw unauthorized('authentication required');
        const tenant = actor.tenant ? await findTenantBySlug(database.db, actor.tenant.slug) : undefined;
        // The tenant's locale is a tenant setting: read in the caller's own tenant, through the runner.
        const locale = tenant ? await inTenant(request, (tx) => readTenantLocale(tx)) : undefined;
        return {
          subject: actor.subject,
          name: actor.name,
          email: actor.email,
          roles: actor.roles,
          isOperator: actor.isOperator,
          tenant: tenant && locale ? { slug: tenant.slug, name: tenant.name, timeZone: tenant.time_zone, locale } : null,
          regions: actor.tenant ? (regionScopeOf(actor)?.slice() ?? null) : null,
        };
      },
    );

    // A tenant's own identity providers ("bring your own"), registered by its admins or an operator.
    r.get(
      '/api/v1/identity-providers',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['identity'],
          summary: "The tenant's own identity providers",
          response: { 200: z.object({ items: z.array(TenantIssuerSchema) }) },
        },
      },
      async (request) => {
        return inTenant(request, (tx) => listTenantIssuers(tx));
      },
    );
    r.post(
      '/api/v1/identity-providers',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['identity'],
          summary: 'Trust an issuer (its audience and role names) for this tenant only',
          body: RegisterTenantIssuerSchema,
          response: { 201: TenantIssuerSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        await assertIssuerReachable(outbound, request.body.issuer);
        const created = await inTenant(request, (tx) => registerTenantIssuer(tx, caller, request.body, clientConfig.issuer));
        return reply.status(201).send(created);
      },
    );
    r.patch(
      '/api/v1/identity-providers/:id',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['identity'],
          summary: "Change a provider's client id, role mapping, region claim or e-mail domains",
          params: TenantIssuerParamsSchema,
          body: UpdateTenantIssuerSchema,
          response: { 200: TenantIssuerSchema },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        return inTenant(request, (tx) => updateTenantIssuer(tx, caller, request.params.id, request.body));
      },
    );
    r.delete(
      '/api/v1/identity-providers/:id',
      {
        config: { access: { roles: ['admin'] } },
        schema: { tags: ['identity'], summary: 'Stop trusting an identity provider', params: TenantIssuerParamsSchema },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        await inTenant(request, (tx) => removeTenantIssuer(tx, caller, request.params.id));
        return reply.status(204).send();
      },
    );
    r.post(
      '/api/v1/platform/tenants/:slug/identity-providers',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['platform'],
          summary: 'Trust an issuer for a tenant (operator, e.g. when setting a tenant up)',
          params: z.object({ slug: TenantSlugSchema }),
          body: RegisterTenantIssuerSchema,
          response: { 201: TenantIssuerSchema },
        },
      },
      async (request, reply) => {
        const actor = request.actor;
        if (!actor) throw unauthorized('authentication required');
        const { slug } = request.params;
        if (!(await findTenantBySlug(database.db, slug))) throw notFound('tenant', slug);
        const agent = request.headers['user-agent'];
        const caller: Caller = {
          kind: 'user',
          subject: actor.subject,
          name: actor.name,
          roles: ['operator'],
          tenantSlug: slug,
          requestId: String(request.id),
          sourceIp: request.ip,
          userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null,
        };
        await assertIssuerReachable(outbound, request.body.issuer);
        const created = await withTenant(database.db, slug, (tx) => registerTenantIssuer(tx, caller, request.body, clientConfig.issuer));
        return reply.status(201).send(created);
      },
    );
  };
}
