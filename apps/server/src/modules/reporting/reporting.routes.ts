import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AnalyticsQuerySchema,
  AnalyticsSchema,
  ReportListQuerySchema,
  ReportNoteBodySchema,
  ReportNoteSchema,
  ReportPageSchema,
  ReportExportQuerySchema,
  ReportParamsSchema,
  RetentionSettingsSchema,
  StatusReportSchema,
} from '@yardmaster/contracts';
import { findTenantBySlug, type Database, type ReadRouter } from '../../platform/db/index.js';
import { readerOf } from '../../platform/http/read-your-writes.js';
import { callerOf, tenantActor } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { expectedVersion } from '../../platform/http/versioning.js';
import { analyticsCsv, computeAnalytics } from './reporting.analytics.js';
import { renderReportPdf } from './reporting.pdf.js';
import { proofForPdf } from './reporting.proof.js';
import type { FileStore } from '../files/index.js';
import { getRetention, putRetention } from './reporting.retention.js';
import { addReportNote, getReport, listReports } from './reporting.service.js';
import { XLSX_TYPE, analyticsXlsx, reportsCsv, reportsXlsx } from './reporting.xlsx.js';

/** The most reports one export returns (a year of a busy tenant is ~100,000). */
const EXPORT_MAX_REPORTS = 100_000;

const READERS = { roles: ['admin', 'dispatcher', 'viewer', 'driver'] } as const;
const ANALYSTS = { roles: ['admin', 'dispatcher', 'viewer'] } as const;

/**
 * Status reports, analytics and retention settings. Reads (reports, analytics) run where `reads`
 * routes them — the reporting replica when REPORTING_DATABASE_URL is set and it has caught up with
 * the reader's own writes, else the primary; writes (correction notes, settings) always on
 * `database`, the primary.
 */
export function reportingRoutes(database: Database, reads: ReadRouter, files?: FileStore) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    const readingFor = async (request: FastifyRequest): Promise<Database> => reads.readerFor(readerOf(request));

    r.get(
      '/api/v1/reports',
      {
        config: { access: READERS },
        schema: {
          tags: ['reports'],
          summary: 'List status reports (drivers see their own)',
          querystring: ReportListQuerySchema,
          response: { 200: ReportPageSchema },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        return inTenant(request, (tx) => listReports(tx, caller, request.query), { database: await readingFor(request) });
      },
    );

    r.get(
      '/api/v1/reports/export',
      {
        config: { access: READERS },
        schema: {
          tags: ['reports'],
          summary: `Every report matching the list filters (up to ${EXPORT_MAX_REPORTS.toLocaleString('en')}) as CSV or Excel (.xlsx)`,
          querystring: ReportExportQuerySchema,
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { format, ...filters } = request.query;
        const reports = await inTenant(
          request,
          async (tx) => {
            const all = [];
            let cursor: string | undefined;
            do {
              const page = await listReports(tx, caller, { ...filters, limit: 500, ...(cursor ? { cursor } : {}) });
              all.push(...page.items);
              cursor = page.nextCursor ?? undefined;
            } while (cursor && all.length < EXPORT_MAX_REPORTS);
            return all.slice(0, EXPORT_MAX_REPORTS);
          },
          { database: await readingFor(request) },
        );
        const name = `status-reports-${caller.tenantSlug}`;
        if (format === 'xlsx')
          return reply
            .type(XLSX_TYPE)
            .header('content-disposition', `attachment; filename="${name}.xlsx"`)
            .send(await reportsXlsx(reports));
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.csv"`)
          .send(reportsCsv(reports));
      },
    );

    r.get(
      '/api/v1/reports/:id',
      {
        config: { access: READERS },
        schema: {
          tags: ['reports'],
          summary: 'One status report with its correction notes',
          params: ReportParamsSchema,
          response: { 200: StatusReportSchema },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        return inTenant(request, (tx) => getReport(tx, caller, request.params.id), { database: await readingFor(request) });
      },
    );

    r.get(
      '/api/v1/reports/:id/json',
      {
        config: { access: READERS },
        schema: {
          tags: ['reports'],
          summary: 'Download a status report as JSON',
          params: ReportParamsSchema,
          response: { 200: StatusReportSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const report = await inTenant(request, (tx) => getReport(tx, caller, request.params.id), { database: await readingFor(request) });
        return reply.header('content-disposition', `attachment; filename="${report.number}.json"`).send(report);
      },
    );

    r.get(
      '/api/v1/reports/:id/pdf',
      {
        config: { access: READERS },
        schema: { tags: ['reports'], summary: 'Download a status report as a one-page PDF', params: ReportParamsSchema },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { tenant } = tenantActor(request);
        const report = await inTenant(request, (tx) => getReport(tx, caller, request.params.id), { database: await readingFor(request) });
        const record = await findTenantBySlug((await readingFor(request)).db, tenant.slug);
        const proof = files ? await proofForPdf(database, caller.tenantSlug, report.dispatchId, files) : null;
        const pdf = await renderReportPdf(report, {
          tenantName: record?.name ?? tenant.slug,
          timeZone: tenant.timeZone,
          generatedAt: new Date(),
          proof,
        });
        return reply.type('application/pdf').header('content-disposition', `attachment; filename="${report.number}.pdf"`).send(pdf);
      },
    );

    r.post(
      '/api/v1/reports/:id/notes',
      {
        config: { access: { roles: ['admin', 'dispatcher'] } },
        schema: {
          tags: ['reports'],
          summary: 'Append a correction note (the report itself never changes)',
          params: ReportParamsSchema,
          body: ReportNoteBodySchema,
          response: { 201: ReportNoteSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const note = await inTenant(request, (tx) => addReportNote(tx, caller, { id: request.params.id, ...request.body }));
        return reply.code(201).send(note);
      },
    );

    r.get(
      '/api/v1/analytics',
      {
        config: { access: ANALYSTS },
        schema: {
          tags: ['reports'],
          summary: 'Dispatch analytics for a date range (JSON, or CSV with format=csv, Excel with format=xlsx)',
          querystring: AnalyticsQuerySchema,
          response: { 200: AnalyticsSchema.or(z.string()) },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { tenant } = tenantActor(request);
        const result = await inTenant(request, (tx) => computeAnalytics(tx, caller, { ...request.query, timeZone: tenant.timeZone }), {
          database: await readingFor(request),
          isolation: 'repeatable read',
        });
        if (request.query.format === 'xlsx') {
          // A Buffer body is sent as it is (no serializer); the typed response only knows JSON and text.
          const workbook = (await analyticsXlsx(result)) as unknown as string;
          return reply.type(XLSX_TYPE).header('content-disposition', `attachment; filename="analytics-${tenant.slug}.xlsx"`).send(workbook);
        }
        if (request.query.format === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="analytics-${tenant.slug}.csv"`)
            .serializer((payload: unknown) => payload as string)
            .send(analyticsCsv(result));
        }
        return result;
      },
    );

    r.get(
      '/api/v1/settings/retention',
      {
        config: { access: { roles: ['admin'] } },
        schema: { tags: ['settings'], summary: 'Retention periods (years) for this tenant', response: { 200: RetentionSettingsSchema } },
      },
      async (request, reply) => {
        const { settings, version } = await inTenant(request, (tx) => getRetention(tx));
        return reply.header('etag', `"${version}"`).send(settings);
      },
    );

    r.put(
      '/api/v1/settings/retention',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['settings'],
          summary: 'Change retention periods (never below the legal minimums)',
          body: RetentionSettingsSchema,
          response: { 200: RetentionSettingsSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const expected = expectedVersion(request);
        const { settings, version } = await inTenant(request, (tx) => putRetention(tx, caller, request.body, expected));
        return reply.header('etag', `"${version}"`).send(settings);
      },
    );
  };
}
