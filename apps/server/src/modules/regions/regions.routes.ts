import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  CreateRegionSchema,
  RegionListSchema,
  RegionParamsSchema,
  RegionSchema,
  RegionSettingsSchema,
  UpdateRegionSchema,
  UpdateRegionSettingsSchema,
} from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { expectedVersion, setEtag } from '../../platform/http/versioning.js';
import * as regions from './regions.service.js';
import { readRegionSettings, updateRegionSettings } from './regions.settings.js';

const READ = { roles: ['admin', 'dispatcher', 'viewer'] } as const;
const ADMIN = { roles: ['admin'] } as const;
const DISPATCHERS = { roles: ['admin', 'dispatcher'] } as const;
const tags = ['regions'];

/** The tenant's regions: everyone who works with resources reads them; admins manage them. */
export function regionsRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/regions',
      { config: { access: READ }, schema: { tags, summary: "The tenant's regions", response: { 200: RegionListSchema } } },
      (request) => inTenant(request, (tx) => regions.listRegions(tx)),
    );
    r.post(
      '/api/v1/regions',
      {
        config: { access: ADMIN },
        schema: { tags, summary: 'Create a region', body: CreateRegionSchema, response: { 201: RegionSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => regions.createRegion(tx, caller, request.body));
        setEtag(reply, view.version);
        return reply.status(201).send(view);
      },
    );
    r.get(
      '/api/v1/regions/:id',
      { config: { access: READ }, schema: { tags, summary: 'A region', params: RegionParamsSchema, response: { 200: RegionSchema } } },
      async (request, reply) => {
        const view = await inTenant(request, (tx) => regions.getRegion(tx, request.params.id));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.patch(
      '/api/v1/regions/:id',
      {
        config: { access: ADMIN },
        schema: {
          tags,
          summary: 'Rename a region (If-Match); its code never changes',
          params: RegionParamsSchema,
          body: UpdateRegionSchema,
          response: { 200: RegionSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => regions.updateRegion(tx, caller, request.params.id, expected, request.body));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.delete(
      '/api/v1/regions/:id',
      {
        config: { access: ADMIN },
        schema: {
          tags,
          summary: 'Delete a region no resource names (If-Match)',
          params: RegionParamsSchema,
          response: { 200: RegionSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => regions.deleteRegion(tx, caller, request.params.id, expected));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.get(
      '/api/v1/settings/regions',
      {
        config: { access: DISPATCHERS },
        schema: { tags, summary: 'Whether automatic matching may cross regions', response: { 200: RegionSettingsSchema } },
      },
      (request) => inTenant(request, (tx) => readRegionSettings(tx)),
    );
    r.patch(
      '/api/v1/settings/regions',
      {
        config: { access: ADMIN },
        schema: {
          tags,
          summary: 'Allow or forbid automatic matching across regions',
          body: UpdateRegionSettingsSchema,
          response: { 200: RegionSettingsSchema },
        },
      },
      (request) => inTenant(request, (tx, caller) => updateRegionSettings(tx, caller, request.body)),
    );
  };
}
