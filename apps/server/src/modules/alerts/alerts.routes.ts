import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AlertListQuerySchema, AlertSchema, AlertSettingsSchema, UpdateAlertSettingsSchema } from '@yardmaster/contracts';
import { withTenant, type Database } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { forEachTenant, schedule } from '../../platform/scheduler.js';
import { recordAudit } from '../audit/index.js';
import { alertSettings, evaluateAlerts, listAlerts, readAlertSettings } from './alerts.service.js';

export type AlertsOptions = { intervalMs?: number };

/** Alerts: evaluated every `intervalMs` (default 30 s) for every tenant; listed and configured here. */
export function alertsRoutes(database: Database, options: AlertsOptions = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    let stop: (() => void) | undefined;
    app.addHook('onReady', async () => {
      stop = schedule(
        'alert evaluation',
        options.intervalMs ?? 30_000,
        app.log,
        () => forEachTenant(database.db, 'alert evaluation', app.log, (slug) => withTenant(database.db, slug, (tx) => evaluateAlerts(tx))),
        { runNow: false },
      );
    });
    app.addHook('onClose', async () => stop?.());

    const r = app.withTypeProvider<ZodTypeProvider>();

    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/alerts',
      {
        config: { access: { roles: ['admin', 'dispatcher', 'viewer'] } },
        schema: {
          tags: ['alerts'],
          summary: 'Alerts: queued too long, urgent queue depth, qualifications expiring',
          querystring: AlertListQuerySchema,
          response: { 200: z.object({ items: z.array(AlertSchema) }) },
        },
      },
      (request) => {
        return inTenant(request, async (tx, caller) => ({ items: await listAlerts(tx, request.query, caller) }));
      },
    );
    r.get(
      '/api/v1/settings/alerts',
      {
        config: { access: { roles: ['admin', 'dispatcher'] } },
        schema: { tags: ['alerts'], summary: 'Alert thresholds', response: { 200: AlertSettingsSchema } },
      },
      (request) => {
        return inTenant(request, (tx) => readAlertSettings(tx));
      },
    );
    r.patch(
      '/api/v1/settings/alerts',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['alerts'],
          summary: 'Change alert thresholds',
          body: UpdateAlertSettingsSchema,
          response: { 200: AlertSettingsSchema },
        },
      },
      (request) => {
        const caller = callerOf(request);
        return inTenant(request, async (tx) => {
          const { before, after } = await alertSettings.update(tx, request.body);
          await recordAudit(tx, caller, {
            action: 'settings.alerts_updated',
            entityType: 'tenant_settings',
            entityId: 'alerts',
            before,
            after,
          });
          await evaluateAlerts(tx);
          return after;
        });
      },
    );
  };
}
