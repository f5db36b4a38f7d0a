import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { CreateSiteSchema, IdParamsSchema, SiteListQuerySchema, SiteSchema, UpdateSiteSchema, pageOf } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { expectedVersion, setEtag } from '../../platform/http/versioning.js';
import * as sites from './sites.service.js';

const READ = { roles: ['admin', 'dispatcher', 'viewer'] } as const;
const WRITE = { roles: ['admin', 'dispatcher'] } as const;
const tags = ['sites'];

export function sitesRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/sites',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'List or search sites (name, address, contact)',
          querystring: SiteListQuerySchema,
          response: { 200: pageOf(SiteSchema) },
        },
      },
      (request) => inTenant(request, (tx, caller) => sites.listSites(tx, caller, request.query)),
    );
    r.post(
      '/api/v1/sites',
      { config: { access: WRITE }, schema: { tags, summary: 'Create a work site', body: CreateSiteSchema, response: { 201: SiteSchema } } },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => sites.createSite(tx, caller, request.body));
        setEtag(reply, view.version);
        return reply.status(201).send(view);
      },
    );
    r.get(
      '/api/v1/sites/:id',
      { config: { access: READ }, schema: { tags, summary: 'A work site', params: IdParamsSchema, response: { 200: SiteSchema } } },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => sites.getSite(tx, caller, request.params.id));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.patch(
      '/api/v1/sites/:id',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Update a work site (If-Match)',
          params: IdParamsSchema,
          body: UpdateSiteSchema,
          response: { 200: SiteSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => sites.updateSite(tx, caller, request.params.id, expected, request.body));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.delete(
      '/api/v1/sites/:id',
      {
        config: { access: WRITE },
        schema: { tags, summary: 'Deactivate a work site (If-Match)', params: IdParamsSchema, response: { 200: SiteSchema } },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => sites.archiveSite(tx, caller, request.params.id, expected));
        setEtag(reply, view.version);
        return view;
      },
    );
  };
}
