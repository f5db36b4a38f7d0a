import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AuditExportQuerySchema,
  AuditHistoryParamsSchema,
  AuditHistoryQuerySchema,
  type AuditHistoryQuery,
  AuditListQuerySchema,
  AuditPageSchema,
  AuditVerifyResultSchema,
  IdParamsSchema,
} from '@yardmaster/contracts';
import { regionScopeOf, type Caller } from '../../platform/caller.js';
import { forbidden, notFound } from '../../platform/errors.js';
import type { Database, TenantTx } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { openAuditExport } from './audit.export.js';
import { entityHistory, listAudit, verifyAuditChain } from './audit.service.js';

/**
 * Audit read side. Admins and viewers read the whole trail (viewers are the auditors' role);
 * dispatchers read the history of work orders and dispatches only (their own routes); drivers get 403.
 * Verification is for admins only.
 */
const READERS = { roles: ['admin', 'viewer'] } as const;

/**
 * A work order's and a dispatch's own history are also for dispatchers, for the work they run (the
 * work-order page shows them), at `/work-orders/{id}/history` and `/dispatches/{id}/history`. The
 * rest of the trail stays with admins and viewers.
 */
const DESK_READERS = { roles: ['admin', 'viewer', 'dispatcher'] } as const;
const DESK_HISTORIES = [
  { path: '/api/v1/work-orders/:id/history', entityType: 'work_order', tag: 'work-orders', what: "A work order's audit history" },
  { path: '/api/v1/dispatches/:id/history', entityType: 'dispatch', tag: 'dispatches', what: "A dispatch's audit history" },
] as const;

/**
 * The audit trail is one hash chain over every region's events: people limited to some regions
 * cannot read it (403, the whole trail is refused rather than partly hidden); admins and
 * viewers without region attributes can. An entity's own history is readable when the entity is
 * (its region within theirs; 404 otherwise, as for the entity itself).
 */
function refuseRegionLimited(caller: Caller): void {
  if (regionScopeOf(caller) !== null)
    throw forbidden('the audit trail covers every region; people limited to some regions cannot read it (ask an admin)');
}

/** The region policy's answer for one entity (wired in the composition root: regions record audit events). */
export type EntityVisibility = (tx: TenantTx, caller: Caller, entityType: string, entityId: string) => Promise<boolean>;

export function auditRoutes(database: Database, entityVisible: EntityVisibility) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    /** One entity's history, where the caller may see the entity (404 otherwise, as for the entity itself). */
    const historyOf = (request: FastifyRequest, entityType: string, entityId: string, query: AuditHistoryQuery) => {
      const caller = callerOf(request);
      return inTenant(request, async (tx) => {
        if (!(await entityVisible(tx, caller, entityType, entityId))) throw notFound(entityType, entityId);
        return entityHistory(tx, caller, { entityType, entityId, ...query });
      });
    };
    r.get(
      '/api/v1/audit',
      {
        config: { access: READERS },
        schema: {
          tags: ['audit'],
          summary: 'Search the audit trail',
          querystring: AuditListQuerySchema,
          response: { 200: AuditPageSchema },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        refuseRegionLimited(caller);
        return inTenant(request, (tx) => listAudit(tx, caller, request.query));
      },
    );
    r.get(
      '/api/v1/audit/entities/:entityType/:entityId/history',
      {
        config: { access: READERS },
        schema: {
          tags: ['audit'],
          summary: "An entity's audit history",
          description: 'People limited to regions: entities in their regions or shared (404 otherwise, as for the entity).',
          params: AuditHistoryParamsSchema,
          querystring: AuditHistoryQuerySchema,
          response: { 200: AuditPageSchema },
        },
      },
      async (request) => historyOf(request, request.params.entityType, request.params.entityId, request.query),
    );
    for (const history of DESK_HISTORIES) {
      r.get(
        history.path,
        {
          config: { access: DESK_READERS },
          schema: {
            tags: [history.tag],
            summary: history.what,
            description: 'Oldest first by default. People limited to regions: 404 outside their regions, as for the entity.',
            params: IdParamsSchema,
            querystring: AuditHistoryQuerySchema,
            response: { 200: AuditPageSchema },
          },
        },
        async (request) => historyOf(request, history.entityType, request.params.id, request.query),
      );
    }
    r.get(
      '/api/v1/audit/verify',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['audit'],
          summary: 'Re-walk the hash chain and report the first broken link',
          response: { 200: AuditVerifyResultSchema },
        },
      },
      async (request) => verifyAuditChain(database.db, callerOf(request).tenantSlug),
    );
    r.get(
      '/api/v1/audit/export',
      {
        config: { access: READERS },
        schema: {
          tags: ['audit'],
          summary: 'Export the audit trail as CSV or JSON lines (streamed)',
          querystring: AuditExportQuerySchema,
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        refuseRegionLimited(caller);
        const chunks = await openAuditExport(database.db, caller.tenantSlug, request.query);
        const csv = request.query.format === 'csv';
        return reply
          .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="audit-${caller.tenantSlug}.${csv ? 'csv' : 'jsonl'}"`)
          .send(Readable.from(chunks));
      },
    );
  };
}
