import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CapacityCheckSchema,
  CapacityResultSchema,
  CreateMaintenanceWindowSchema,
  CreateRecurringWorkOrderSchema,
  CreateShiftExceptionSchema,
  CreateShiftPatternSchema,
  CreateTimeOffSchema,
  DecideTimeOffSchema,
  EditOccurrenceSchema,
  EtaSchema,
  ForecastQuerySchema,
  IdParamsSchema,
  MaintenanceWindowSchema,
  OccurrenceParamsSchema,
  PlanningSettingsSchema,
  QualificationForecastSchema,
  RecurringWorkOrderSchema,
  ShiftExceptionSchema,
  ShiftIntervalsSchema,
  ShiftPatternSchema,
  ShiftsQuerySchema,
  TimeOffQuerySchema,
  TimeOffSchema,
  UpdatePlanningSettingsSchema,
} from '@yardmaster/contracts';
import { systemCaller, type Caller } from '../../platform/caller.js';
import { listTenants, withTenant, type Database, type TenantTx } from '../../platform/db/index.js';
import { tenantActor } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { optionalVersion } from '../../platform/http/versioning.js';
import { schedule } from '../../platform/scheduler.js';
import { selectShiftIntervals } from '../availability/index.js';
import { invalidPlan } from './planning.errors.js';
import { checkCapacity, estimateQueueFor, forecastCsv, forecastQualificationImpact } from './forecasts.js';
import { createRecurringWorkOrder, editOccurrence, getRecurringWorkOrder, listRecurringWorkOrders, materializeAll } from './recurring.js';
import { planningSettingsFor, updatePlanningSettings } from './settings.js';
import {
  cancelMaintenanceWindow,
  createMaintenanceWindow,
  createShiftPattern,
  deleteShiftException,
  deleteShiftPattern,
  listMaintenanceWindows,
  listShiftExceptions,
  listShiftPatterns,
  putShiftException,
} from './shifts.js';
import { decideTimeOff, listTimeOff, requestTimeOff } from './time-off.js';

const READ = { roles: ['admin', 'dispatcher', 'viewer'] } as const;
const WRITE = { roles: ['admin', 'dispatcher'] } as const;
const ADMIN = { roles: ['admin'] } as const;
const EVERYONE = { roles: ['admin', 'dispatcher', 'viewer', 'driver'] } as const;
const LEAVE = { roles: ['admin', 'dispatcher', 'driver'] } as const;
const tags = ['planning'];
const DriverFilterSchema = z.object({ driverId: z.uuid().optional() });
const EquipmentFilterSchema = z.object({ equipmentId: z.uuid().optional() });
const Ok = z.object({ ok: z.literal(true) });

export type PlanningRoutesOptions = { horizonIntervalMs?: number };

export function planningRoutes(database: Database, options: PlanningRoutesOptions = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    let stopTimer: (() => void) | undefined;
    app.addHook('onReady', async () => {
      // Rolls every recurring series' horizon forward (creation and edits do it at once; this keeps the window moving).
      stopTimer = schedule('recurring work horizon', options.horizonIntervalMs ?? 3_600_000, app.log, async () => {
        for (const tenant of await listTenants(database.db)) {
          try {
            await withTenant(database.db, tenant.slug, async (tx) =>
              materializeAll(tx, systemCaller(tenant.slug), await planningSettingsFor(tx, tenant.time_zone)),
            );
          } catch (error) {
            app.log.warn({ err: error, tenant: tenant.slug }, 'recurring work horizon failed for a tenant');
          }
        }
      });
    });
    app.addHook('onClose', async () => stopTimer?.());

    const r = app.withTypeProvider<ZodTypeProvider>();
    /** The caller's tenant transaction, with the tenant's own zone (the planning zone's default). */
    const inTenant = tenantRunner(database);
    const inPlanning = async <T>(
      request: FastifyRequest,
      fn: (tx: TenantTx, caller: Caller, tenantZone: string) => Promise<T>,
    ): Promise<T> => {
      const tenantZone = tenantActor(request).tenant.timeZone;
      return inTenant(request, (tx, caller) => fn(tx, caller, tenantZone));
    };
    const zoneOf = async (tx: TenantTx, tenantZone: string, store = false) => (await planningSettingsFor(tx, tenantZone, store)).timeZone;

    r.get(
      '/api/v1/planning/settings',
      {
        config: { access: READ },
        schema: { tags, summary: 'Planning settings: zone, overtime, recurring horizon', response: { 200: PlanningSettingsSchema } },
      },
      (request) => inPlanning(request, (tx, _c, tz) => planningSettingsFor(tx, tz)),
    );
    r.put(
      '/api/v1/planning/settings',
      {
        config: { access: ADMIN },
        schema: {
          tags,
          summary: 'Change planning settings (a zone that does not exist: 422)',
          body: UpdatePlanningSettingsSchema,
          response: { 200: PlanningSettingsSchema },
        },
      },
      (request) => inPlanning(request, (tx, caller, tz) => updatePlanningSettings(tx, caller, tz, request.body)),
    );

    // --- shifts
    r.get(
      '/api/v1/planning/shift-patterns',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'Shift patterns (weekly or rotating)',
          querystring: DriverFilterSchema,
          response: { 200: z.object({ items: z.array(ShiftPatternSchema) }) },
        },
      },
      (request) => inPlanning(request, async (tx) => ({ items: await listShiftPatterns(tx, request.query.driverId) })),
    );
    r.post(
      '/api/v1/planning/shift-patterns',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Add a shift pattern (overlapping shifts: 422)',
          body: CreateShiftPatternSchema,
          response: { 201: ShiftPatternSchema },
        },
      },
      async (request, reply) => {
        const view = await inPlanning(request, async (tx, caller, tz) =>
          createShiftPattern(tx, caller, request.body, await zoneOf(tx, tz, true)),
        );
        return reply.status(201).send(view);
      },
    );
    r.delete(
      '/api/v1/planning/shift-patterns/:id',
      { config: { access: WRITE }, schema: { tags, summary: 'Remove a shift pattern', params: IdParamsSchema, response: { 200: Ok } } },
      (request) =>
        inPlanning(request, async (tx, caller) => {
          await deleteShiftPattern(tx, caller, request.params.id);
          return { ok: true as const };
        }),
    );
    r.get(
      '/api/v1/planning/shift-exceptions',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'Days that differ from the pattern',
          querystring: DriverFilterSchema,
          response: { 200: z.object({ items: z.array(ShiftExceptionSchema) }) },
        },
      },
      (request) => inPlanning(request, async (tx) => ({ items: await listShiftExceptions(tx, request.query.driverId) })),
    );
    r.post(
      '/api/v1/planning/shift-exceptions',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: "Set a day off or other hours for one day (replaces that day's exception)",
          body: CreateShiftExceptionSchema,
          response: { 201: ShiftExceptionSchema },
        },
      },
      async (request, reply) => {
        const view = await inPlanning(request, async (tx, caller, tz) =>
          putShiftException(tx, caller, request.body, await zoneOf(tx, tz, true)),
        );
        return reply.status(201).send(view);
      },
    );
    r.delete(
      '/api/v1/planning/shift-exceptions/:id',
      { config: { access: WRITE }, schema: { tags, summary: 'Remove an exception', params: IdParamsSchema, response: { 200: Ok } } },
      (request) =>
        inPlanning(request, async (tx, caller) => {
          await deleteShiftException(tx, caller, request.params.id);
          return { ok: true as const };
        }),
    );
    r.get(
      '/api/v1/planning/shifts',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'Shifts as instants between from and to (patterns and exceptions expanded in the planning zone)',
          querystring: ShiftsQuerySchema,
          response: { 200: ShiftIntervalsSchema },
        },
      },
      (request) =>
        inPlanning(request, async (tx, _c, tz) => {
          const from = new Date(request.query.from);
          const to = new Date(request.query.to);
          if (to <= from || to.getTime() - from.getTime() > 62 * 86_400_000)
            throw invalidPlan('to', 'after from, and at most 62 days later');
          const items = await selectShiftIntervals(tx, request.query.driverId ? [request.query.driverId] : null, from, to);
          return {
            timeZone: await zoneOf(tx, tz),
            items: items.map((i) => ({ driverId: i.driverId, startsAt: i.startsAt.toISOString(), endsAt: i.endsAt.toISOString() })),
          };
        }),
    );

    // --- time off
    r.get(
      '/api/v1/planning/time-off',
      {
        config: { access: EVERYONE },
        schema: {
          tags,
          summary: 'Leave requests (a driver sees their own)',
          querystring: TimeOffQuerySchema,
          response: { 200: z.object({ items: z.array(TimeOffSchema) }) },
        },
      },
      (request) => inPlanning(request, async (tx, caller) => ({ items: await listTimeOff(tx, caller, request.query) })),
    );
    r.post(
      '/api/v1/planning/time-off',
      {
        config: { access: LEAVE },
        schema: {
          tags,
          summary: 'Ask for leave (a driver for themself; a dispatcher or admin for any driver)',
          body: CreateTimeOffSchema,
          response: { 201: TimeOffSchema },
        },
      },
      async (request, reply) => {
        const view = await inPlanning(request, async (tx, caller, tz) => {
          await zoneOf(tx, tz, true);
          return requestTimeOff(tx, caller, request.body);
        });
        return reply.status(201).send(view);
      },
    );
    for (const [action, to, access] of [
      ['approve', 'approved', WRITE],
      ['decline', 'declined', WRITE],
      ['cancel', 'cancelled', LEAVE],
    ] as const) {
      r.post(
        `/api/v1/planning/time-off/:id/${action}`,
        {
          config: { access },
          schema: {
            tags,
            summary: `${action[0]?.toUpperCase() ?? ''}${action.slice(1)} a leave request (If-Match optional; audited)`,
            params: IdParamsSchema,
            body: DecideTimeOffSchema,
            response: { 200: TimeOffSchema },
          },
        },
        (request) =>
          inPlanning(request, (tx, caller) =>
            decideTimeOff(tx, caller, request.params.id, optionalVersion(request), to, request.body.note ?? null),
          ),
      );
    }

    // --- maintenance windows
    r.get(
      '/api/v1/planning/maintenance-windows',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'Planned maintenance windows (ended more than 30 days ago: not listed)',
          querystring: EquipmentFilterSchema,
          response: { 200: z.object({ items: z.array(MaintenanceWindowSchema) }) },
        },
      },
      (request) => inPlanning(request, async (tx) => ({ items: await listMaintenanceWindows(tx, request.query.equipmentId) })),
    );
    r.post(
      '/api/v1/planning/maintenance-windows',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Plan a maintenance window for a machine',
          body: CreateMaintenanceWindowSchema,
          response: { 201: MaintenanceWindowSchema },
        },
      },
      async (request, reply) => {
        const view = await inPlanning(request, (tx, caller) => createMaintenanceWindow(tx, caller, request.body));
        return reply.status(201).send(view);
      },
    );
    r.post(
      '/api/v1/planning/maintenance-windows/:id/cancel',
      {
        config: { access: WRITE },
        schema: { tags, summary: 'Cancel a maintenance window', params: IdParamsSchema, response: { 200: MaintenanceWindowSchema } },
      },
      (request) => inPlanning(request, (tx, caller) => cancelMaintenanceWindow(tx, caller, request.params.id)),
    );

    // --- recurring work
    r.get(
      '/api/v1/planning/recurring',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'Recurring work orders with their occurrences',
          response: { 200: z.object({ items: z.array(RecurringWorkOrderSchema) }) },
        },
      },
      (request) => inPlanning(request, async (tx) => ({ items: await listRecurringWorkOrders(tx) })),
    );
    r.post(
      '/api/v1/planning/recurring',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Create recurring work (RRULE); occurrences inside the horizon are created at once',
          body: CreateRecurringWorkOrderSchema,
          response: { 201: RecurringWorkOrderSchema },
        },
      },
      async (request, reply) => {
        const view = await inPlanning(request, async (tx, caller, tz) =>
          createRecurringWorkOrder(tx, caller, request.body, await planningSettingsFor(tx, tz, true)),
        );
        return reply.status(201).send(view);
      },
    );
    r.get(
      '/api/v1/planning/recurring/:id',
      {
        config: { access: READ },
        schema: { tags, summary: 'A recurring work order', params: IdParamsSchema, response: { 200: RecurringWorkOrderSchema } },
      },
      (request) => inPlanning(request, (tx) => getRecurringWorkOrder(tx, request.params.id)),
    );
    r.post(
      '/api/v1/planning/recurring/:id/occurrences/:occurrenceId',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Skip or change this occurrence, or this and following ones',
          params: OccurrenceParamsSchema,
          body: EditOccurrenceSchema,
          response: { 200: RecurringWorkOrderSchema },
        },
      },
      (request) =>
        inPlanning(request, async (tx, caller, tz) =>
          editOccurrence(tx, caller, request.params.id, request.params.occurrenceId, request.body, await planningSettingsFor(tx, tz, true)),
        ),
    );

    // --- capacity and forecasts
    r.post(
      '/api/v1/planning/capacity-check',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Before booking: will the fleet have the machines and qualified drivers then?',
          body: CapacityCheckSchema,
          response: { 200: CapacityResultSchema },
        },
      },
      (request) => inPlanning(request, async (tx, _c, tz) => checkCapacity(tx, request.body, await zoneOf(tx, tz))),
    );
    r.get(
      '/api/v1/planning/eta',
      {
        config: { access: READ },
        schema: { tags, summary: 'Expected time to assignment of every queued request, with its basis', response: { 200: EtaSchema } },
      },
      (request) => inPlanning(request, async (tx, caller, tz) => estimateQueueFor(tx, caller, await zoneOf(tx, tz))),
    );
    r.get(
      '/api/v1/planning/qualification-forecast',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'Qualification-expiry impact, day by day (format=csv for a spreadsheet)',
          querystring: ForecastQuerySchema,
          response: { 200: QualificationForecastSchema.or(z.string()) },
        },
      },
      async (request, reply) => {
        const forecast = await inPlanning(request, async (tx, caller, tz) =>
          forecastQualificationImpact(tx, caller, request.query.days, await zoneOf(tx, tz)),
        );
        if (request.query.format === 'csv') {
          return reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="qualification-forecast-${forecast.from}.csv"`)
            .send(forecastCsv(forecast));
        }
        return forecast;
      },
    );
  };
}
