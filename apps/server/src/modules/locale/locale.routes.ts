import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { LocaleSettingsSchema, UpdateLocaleSettingsSchema } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { readLocaleSettings, updateLocaleSettings } from './locale.settings.js';

const tags = ['settings'];

/** The tenant's language and region for dates: every member reads it (the web app also gets it on /me), admins set it. */
export function localeRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/settings/locale',
      {
        config: { access: { roles: ['admin', 'dispatcher', 'driver', 'viewer'] } },
        schema: { tags, summary: "The tenant's locale: how dates are written", response: { 200: LocaleSettingsSchema } },
      },
      (request) => inTenant(request, (tx) => readLocaleSettings(tx)),
    );
    r.put(
      '/api/v1/settings/locale',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags,
          summary: "Change the tenant's locale (a tag outside the supported list: 422)",
          body: UpdateLocaleSettingsSchema,
          response: { 200: LocaleSettingsSchema },
        },
      },
      (request) => inTenant(request, (tx, caller) => updateLocaleSettings(tx, caller, request.body.locale)),
    );
  };
}
