import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AdvanceSchema,
  BoardSchema,
  CandidatesSchema,
  CreateWorkOrderSchema,
  DispatchListQuerySchema,
  DispatchSchema,
  DispatchSettingsSchema,
  ExplainSchema,
  IdParamsSchema,
  ManualDispatchSchema,
  OptionalReasonSchema,
  RecallSchema,
  ReprioritiseSchema,
  SiteSchema,
  UpdateDispatchSettingsSchema,
  UpdateWorkOrderSchema,
  WorkOrderListQuerySchema,
  WorkOrderSchema,
  pageOf,
  type Recall,
} from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';
import { callerOf, tenantActor } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { expectedVersion, setEtag } from '../../platform/http/versioning.js';
import { recordAudit } from '../audit/index.js';
import { notificationsOf } from '../notifications/index.js';
import { idempotencyKeyOf, IDEMPOTENT_REPLAYED_HEADER, runIdempotent } from '../integrations/index.js';
import { findDriverBySubject } from '../people/index.js';
import { findSite, siteView } from '../sites/index.js';
import { advanceDispatch } from './advance-dispatch.js';
import { createBoardCache } from './board-cache.js';
import { listDispatches, readBoard } from './board.js';
import { cancelDispatch } from './cancel-dispatch.js';
import { createWorkOrder } from './create-work-order.js';
import { declineDispatch } from './decline-dispatch.js';
import { dispatchManually } from './dispatch-manually.js';
import { assertMaySee } from './dispatch.policy.js';
import { lockDispatchQueue, selectDispatch } from './dispatch.repo.js';
import { explainDispatch } from './explain.js';
import { listCandidates } from './list-candidates.js';
import { EVERY_TYPE, matchQueue } from './match-queue.js';
import { recallDispatch } from './recall-dispatch.js';
import { releaseDispatch } from './release-dispatch.js';
import { reprioritiseDispatch } from './reprioritise-dispatch.js';
import { readDispatchSettings, writeDispatchSettings } from './settings.js';
import { startSweeper } from './sweeper.js';
import { dispatchView } from './views.js';
import { getWorkOrder, listWorkOrders, updateWorkOrder } from './work-orders.js';

const DISPATCHERS = { roles: ['admin', 'dispatcher'] } as const;
const READERS = { roles: ['admin', 'dispatcher', 'viewer'] } as const;
const ON_DISPATCH = { roles: ['admin', 'dispatcher', 'driver'] } as const;
const tags = ['dispatch'];

export type DispatchRoutesOptions = { sweepIntervalMs?: number | undefined; boardTrustMs?: number | undefined };

export function dispatchRoutes(database: Database, options: DispatchRoutesOptions = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    let stopSweeper: (() => void) | undefined;
    app.addHook('onReady', async () => {
      stopSweeper = startSweeper(database, app.log, options.sweepIntervalMs ?? 5_000);
    });
    app.addHook('onClose', async () => stopSweeper?.());

    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    const boardCache = createBoardCache(database, options.boardTrustMs !== undefined ? { trustMs: options.boardTrustMs } : {});
    // The live hub's change signals let board reads skip the version query between changes.
    let stopWatching: (() => void) | undefined;
    app.addHook('onReady', async () => {
      stopWatching = boardCache.watch(notificationsOf(app).hub);
    });
    app.addHook('onClose', async () => stopWatching?.());

    // --- work orders
    r.post(
      '/api/v1/work-orders',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags: ['work-orders'],
          summary: 'Create a work order; each requested unit is dispatched, queued or scheduled',
          description:
            'With an `Idempotency-Key` header (1–255 visible ASCII characters) the work order is created at most once per key and tenant ' +
            'within 24 hours: the same key with the same body answers the first response again (with `Idempotent-Replayed: true`); ' +
            'the same key with another body is refused with 422.',
          body: CreateWorkOrderSchema,
          response: { 201: WorkOrderSchema },
        },
      },
      async (request, reply) => {
        const key = idempotencyKeyOf(request.headers);
        const result = await inTenant(request, async (tx, caller) => {
          const create = async () => ({ status: 201, body: await createWorkOrder(tx, caller, request.body) });
          // Only 201 is ever stored (failures roll the key back), so the replay answers 201 too.
          if (key === undefined) return { ...(await create()), replayed: false };
          return runIdempotent(tx, caller, { operation: 'POST /api/v1/work-orders', key, body: request.body }, create);
        });
        setEtag(reply, result.body.version);
        if (result.replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
        return reply.status(201).send(result.body);
      },
    );
    r.get(
      '/api/v1/work-orders',
      {
        config: { access: READERS },
        schema: {
          tags: ['work-orders'],
          summary: 'List work orders, newest first',
          querystring: WorkOrderListQuerySchema,
          response: { 200: pageOf(WorkOrderSchema) },
        },
      },
      (request) => inTenant(request, (tx, caller) => listWorkOrders(tx, caller, request.query)),
    );
    r.get(
      '/api/v1/work-orders/:id',
      {
        config: { access: READERS },
        schema: { tags: ['work-orders'], summary: 'A work order', params: IdParamsSchema, response: { 200: WorkOrderSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => getWorkOrder(tx, caller, request.params.id));
        setEtag(reply, view.version);
        return view;
      },
    );

    r.patch(
      '/api/v1/work-orders/:id',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags: ['work-orders'],
          summary: 'Edit description, notes or due time (If-Match)',
          params: IdParamsSchema,
          body: UpdateWorkOrderSchema,
          response: { 200: WorkOrderSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => updateWorkOrder(tx, caller, request.params.id, expected, request.body));
        setEtag(reply, view.version);
        return view;
      },
    );

    // --- board and dispatches
    r.get(
      '/api/v1/board',
      {
        config: { access: READERS },
        schema: { tags, summary: 'The live board: queued (with position and wait), scheduled, active', response: { 200: BoardSchema } },
      },
      boardCache.handler((tx, caller) => readBoard(tx, caller)),
    );
    r.get(
      '/api/v1/dispatches',
      {
        config: { access: READERS },
        schema: {
          tags,
          summary: 'List dispatches, newest first',
          querystring: DispatchListQuerySchema,
          response: { 200: pageOf(DispatchSchema) },
        },
      },
      (request) => inTenant(request, (tx, caller) => listDispatches(tx, caller, request.query)),
    );
    r.get(
      '/api/v1/me/dispatches',
      {
        config: { access: { roles: ['driver'] } },
        schema: {
          tags,
          summary: 'My dispatches (driver)',
          querystring: DispatchListQuerySchema,
          response: { 200: pageOf(DispatchSchema) },
        },
      },
      (request) =>
        inTenant(request, async (tx, caller) => {
          const me = await findDriverBySubject(tx, caller.subject);
          if (!me) return { items: [], nextCursor: null };
          return listDispatches(tx, caller, { ...request.query, driverId: me.id });
        }),
    );
    r.get(
      '/api/v1/dispatches/:id',
      {
        config: { access: { roles: ['admin', 'dispatcher', 'viewer', 'driver'] } },
        schema: { tags, summary: 'A dispatch (drivers: their own)', params: IdParamsSchema, response: { 200: DispatchSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, async (tx, caller) => {
          const row = await selectDispatch(tx, request.params.id);
          if (!row) throw notFound('dispatch', request.params.id);
          await assertMaySee(tx, caller, row);
          return dispatchView(row);
        });
        setEtag(reply, view.version);
        return view;
      },
    );
    r.get(
      '/api/v1/dispatches/:id/site',
      {
        config: { access: { roles: ['admin', 'dispatcher', 'viewer', 'driver'] } },
        schema: {
          tags,
          summary: "The work site of a dispatch: address and contact (drivers: their own dispatch's)",
          params: IdParamsSchema,
          response: { 200: SiteSchema },
        },
      },
      (request) =>
        inTenant(request, async (tx, caller) => {
          const row = await selectDispatch(tx, request.params.id);
          if (!row) throw notFound('dispatch', request.params.id);
          await assertMaySee(tx, caller, row);
          const site = await findSite(tx, row.site_id);
          if (!site) throw notFound('site', row.site_id);
          return siteView(site);
        }),
    );
    r.get(
      '/api/v1/dispatches/:id/explain',
      {
        config: { access: READERS },
        schema: {
          tags,
          summary: 'Why a queued dispatch waits: position, blockers, estimate',
          params: IdParamsSchema,
          response: { 200: ExplainSchema },
        },
      },
      (request) => inTenant(request, (tx, caller) => explainDispatch(tx, caller, request.params.id)),
    );

    r.get(
      '/api/v1/dispatches/:id/candidates',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags,
          summary: 'What a dispatcher may pick for a waiting dispatch: every machine and driver, eligible or not with reasons',
          params: IdParamsSchema,
          response: { 200: CandidatesSchema },
        },
      },
      (request) => inTenant(request, (tx, caller) => listCandidates(tx, caller, request.params.id, tenantActor(request).tenant.timeZone)),
    );

    const versioned =
      <T extends { version: number }>(run: (request: FastifyRequest, expected: number) => Promise<T>) =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        const expected = expectedVersion(request);
        const view = await run(request, expected);
        setEtag(reply, view.version);
        return view;
      };
    const id = (request: FastifyRequest): string => (request.params as { id: string }).id;

    r.post(
      '/api/v1/dispatches/:id/status',
      {
        config: { access: ON_DISPATCH },
        schema: {
          tags,
          summary: 'Move a dispatch on: en_route, on_site, returning, completed (If-Match)',
          params: IdParamsSchema,
          body: AdvanceSchema,
          response: { 200: DispatchSchema },
        },
      },
      versioned((request, expected) =>
        inTenant(request, (tx, caller) =>
          advanceDispatch(tx, caller, id(request), expected, request.body as { status: 'en_route'; notes?: string }),
        ),
      ),
    );
    r.post(
      '/api/v1/dispatches/:id/decline',
      {
        config: { access: { roles: ['driver'] } },
        schema: {
          tags,
          summary: 'Decline my dispatch before setting off; it returns to its place in the queue (If-Match)',
          params: IdParamsSchema,
          body: OptionalReasonSchema,
          response: { 200: DispatchSchema },
        },
      },
      versioned((request, expected) =>
        inTenant(request, (tx, caller) => declineDispatch(tx, caller, id(request), expected, (request.body as { reason?: string }).reason)),
      ),
    );
    r.post(
      '/api/v1/dispatches/:id/recall',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags,
          summary: 'Recall an active dispatch, with a reason; the line is queued again, or held with `hold` until released (If-Match)',
          params: IdParamsSchema,
          body: RecallSchema,
          response: { 200: DispatchSchema },
        },
      },
      versioned((request, expected) =>
        inTenant(request, (tx, caller) => {
          const body = request.body as Recall;
          return recallDispatch(tx, caller, id(request), expected, body.reason, body.hold);
        }),
      ),
    );
    r.post(
      '/api/v1/dispatches/:id/release',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags,
          summary: 'Release held work: queued now, or scheduled until its "not before" time (If-Match)',
          params: IdParamsSchema,
          response: { 200: DispatchSchema },
        },
      },
      versioned((request, expected) => inTenant(request, (tx, caller) => releaseDispatch(tx, caller, id(request), expected))),
    );
    r.post(
      '/api/v1/dispatches/:id/cancel',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags,
          summary: 'Cancel a scheduled or queued dispatch (If-Match)',
          params: IdParamsSchema,
          body: OptionalReasonSchema,
          response: { 200: DispatchSchema },
        },
      },
      versioned((request, expected) =>
        inTenant(request, (tx, caller) => cancelDispatch(tx, caller, id(request), expected, (request.body as { reason?: string }).reason)),
      ),
    );
    r.post(
      '/api/v1/dispatches/:id/priority',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags,
          summary: 'Change the priority until the equipment is on its way (If-Match)',
          params: IdParamsSchema,
          body: ReprioritiseSchema,
          response: { 200: DispatchSchema },
        },
      },
      versioned((request, expected) =>
        inTenant(request, (tx, caller) =>
          reprioritiseDispatch(tx, caller, id(request), expected, (request.body as { priority: 'urgent' }).priority),
        ),
      ),
    );
    r.post(
      '/api/v1/dispatches/:id/assign',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags,
          summary: 'Dispatch manually: this equipment with this driver (If-Match)',
          params: IdParamsSchema,
          body: ManualDispatchSchema,
          response: { 200: DispatchSchema },
        },
      },
      versioned((request, expected) =>
        inTenant(request, (tx, caller) =>
          dispatchManually(tx, caller, id(request), expected, request.body as { equipmentId: string; driverId: string }),
        ),
      ),
    );

    // --- settings
    r.get(
      '/api/v1/settings/dispatch',
      {
        config: { access: DISPATCHERS },
        schema: { tags, summary: 'Automatic queue processing, ageing, schedule lead time', response: { 200: DispatchSettingsSchema } },
      },
      (request) => inTenant(request, (tx) => readDispatchSettings(tx)),
    );
    r.patch(
      '/api/v1/settings/dispatch',
      {
        config: { access: DISPATCHERS },
        schema: {
          tags,
          summary: 'Switch automatic queue processing off/on, set ageing and lead time',
          body: UpdateDispatchSettingsSchema,
          response: { 200: DispatchSettingsSchema },
        },
      },
      (request) =>
        inTenant(request, async (tx, caller) => {
          const before = await lockDispatchQueue(tx);
          const after = { ...before, ...request.body };
          await writeDispatchSettings(tx, after);
          await recordAudit(tx, caller, {
            action: 'settings.dispatch_updated',
            entityType: 'tenant_settings',
            entityId: 'dispatch',
            before,
            after,
          });
          await matchQueue(tx, caller, after, EVERY_TYPE);
          return after;
        }).then((after) => {
          // Settings publish no live event: the board's version on this instance is re-read now.
          boardCache.forget(callerOf(request).tenantSlug);
          return after;
        }),
    );
  };
}
