import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  CreateDriverSchema,
  CreateQualificationSchema,
  DriverListQuerySchema,
  DriverQualificationParamsSchema,
  DriverSchema,
  HoldQualificationSchema,
  IdParamsSchema,
  PositionSchema,
  QualificationListQuerySchema,
  QualificationSchema,
  SetDutySchema,
  UpdateDriverSchema,
  UpdateQualificationSchema,
  pageOf,
} from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { expectedVersion, optionalVersion, setEtag } from '../../platform/http/versioning.js';
import { selectDriverBySubject } from './people.repo.js';
import * as people from './people.service.js';

const READ = { roles: ['admin', 'dispatcher', 'viewer'] } as const;
const WRITE = { roles: ['admin', 'dispatcher'] } as const;
const ADMIN = { roles: ['admin'] } as const;
const tags = ['people'];

export function peopleRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);

    // --- qualifications
    r.get(
      '/api/v1/qualifications',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'List qualifications',
          querystring: QualificationListQuerySchema,
          response: { 200: pageOf(QualificationSchema) },
        },
      },
      (request) => inTenant(request, (tx) => people.listQualifications(tx, request.query)),
    );
    r.post(
      '/api/v1/qualifications',
      {
        config: { access: WRITE },
        schema: { tags, summary: 'Create a qualification', body: CreateQualificationSchema, response: { 201: QualificationSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => people.createQualification(tx, caller, request.body));
        setEtag(reply, view.version);
        return reply.status(201).send(view);
      },
    );
    r.get(
      '/api/v1/qualifications/:id',
      {
        config: { access: READ },
        schema: { tags, summary: 'A qualification', params: IdParamsSchema, response: { 200: QualificationSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx) => people.getQualification(tx, request.params.id));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.patch(
      '/api/v1/qualifications/:id',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Update a qualification (If-Match)',
          params: IdParamsSchema,
          body: UpdateQualificationSchema,
          response: { 200: QualificationSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) =>
          people.updateQualification(tx, caller, request.params.id, expected, request.body),
        );
        setEtag(reply, view.version);
        return view;
      },
    );
    r.delete(
      '/api/v1/qualifications/:id',
      {
        config: { access: ADMIN },
        schema: { tags, summary: 'Archive a qualification (If-Match)', params: IdParamsSchema, response: { 200: QualificationSchema } },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => people.archiveQualification(tx, caller, request.params.id, expected));
        setEtag(reply, view.version);
        return view;
      },
    );

    // --- drivers
    r.get(
      '/api/v1/drivers',
      {
        config: { access: READ },
        schema: { tags, summary: 'List drivers', querystring: DriverListQuerySchema, response: { 200: pageOf(DriverSchema) } },
      },
      (request) => inTenant(request, (tx, caller) => people.listDrivers(tx, caller, request.query)),
    );
    r.post(
      '/api/v1/drivers',
      {
        config: { access: WRITE },
        schema: { tags, summary: 'Create a driver', body: CreateDriverSchema, response: { 201: DriverSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => people.createDriver(tx, caller, request.body));
        setEtag(reply, view.version);
        return reply.status(201).send(view);
      },
    );
    r.get(
      '/api/v1/drivers/:id',
      { config: { access: READ }, schema: { tags, summary: 'A driver', params: IdParamsSchema, response: { 200: DriverSchema } } },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => people.getDriver(tx, caller, request.params.id));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.patch(
      '/api/v1/drivers/:id',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Update a driver (If-Match); qualifications replace the held set',
          params: IdParamsSchema,
          body: UpdateDriverSchema,
          response: { 200: DriverSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => people.updateDriver(tx, caller, request.params.id, expected, request.body));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.post(
      '/api/v1/drivers/:id/duty',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Put a driver on or off duty (e.g. unavailable: sick), with a note',
          params: IdParamsSchema,
          body: SetDutySchema,
          response: { 200: DriverSchema },
        },
      },
      async (request, reply) => {
        const expected = optionalVersion(request);
        const view = await inTenant(request, (tx, caller) => people.setDriverDuty(tx, caller, request.params.id, expected, request.body));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.put(
      '/api/v1/drivers/:id/qualifications/:qualificationId',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Add or renew a qualification a driver holds (optional If-Match)',
          params: DriverQualificationParamsSchema,
          body: HoldQualificationSchema,
          response: { 200: DriverSchema },
        },
      },
      async (request, reply) => {
        const expected = optionalVersion(request);
        const expiresAt = request.body.expiresAt ? new Date(request.body.expiresAt) : null;
        const view = await inTenant(request, (tx, caller) =>
          people.holdQualification(tx, caller, request.params.id, request.params.qualificationId, expected, expiresAt),
        );
        setEtag(reply, view.version);
        return view;
      },
    );
    r.delete(
      '/api/v1/drivers/:id/qualifications/:qualificationId',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Remove a qualification from a driver (optional If-Match)',
          params: DriverQualificationParamsSchema,
          response: { 200: DriverSchema },
        },
      },
      async (request, reply) => {
        const expected = optionalVersion(request);
        const view = await inTenant(request, (tx, caller) =>
          people.dropQualification(tx, caller, request.params.id, request.params.qualificationId, expected),
        );
        setEtag(reply, view.version);
        return view;
      },
    );
    r.delete(
      '/api/v1/drivers/:id',
      {
        config: { access: ADMIN },
        schema: { tags, summary: 'Archive a driver (If-Match)', params: IdParamsSchema, response: { 200: DriverSchema } },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => people.archiveDriver(tx, caller, request.params.id, expected));
        setEtag(reply, view.version);
        return view;
      },
    );

    // --- the signed-in driver
    r.get(
      '/api/v1/me/driver',
      {
        config: { access: { roles: ['driver'] } },
        schema: { tags, summary: 'My driver record and qualifications', response: { 200: DriverSchema } },
      },
      (request) =>
        inTenant(request, async (tx, caller) => {
          const row = await selectDriverBySubject(tx, caller.subject);
          if (!row) throw notFound('driver record for your account');
          // Their own record, whatever region it is in.
          return people.getDriver(tx, { ...caller, regions: [] }, row.id);
        }),
    );
    r.put(
      '/api/v1/me/driver/position',
      {
        config: { access: { roles: ['driver'] } },
        schema: { tags, summary: 'Report my current position', body: PositionSchema.strict(), response: { 200: DriverSchema } },
      },
      (request) =>
        inTenant(request, async (tx, caller) => {
          const row = await selectDriverBySubject(tx, caller.subject);
          if (!row) throw notFound('driver record for your account');
          // Off duty, a driver's whereabouts are their own: nothing is recorded.
          if (row.duty_status !== 'on_duty')
            throw conflict('you are off duty: your position is not recorded', [{ field: 'dutyStatus', message: 'off duty' }]);
          return people.updateOwnPosition(tx, caller, row.id, request.body);
        }),
    );
  };
}
