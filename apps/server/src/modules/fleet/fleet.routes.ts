import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  CreateEquipmentSchema,
  CreateEquipmentTypeSchema,
  EquipmentListQuerySchema,
  EquipmentSchema,
  EquipmentTypeListQuerySchema,
  EquipmentTypeSchema,
  IdParamsSchema,
  OptionalNoteSchema,
  StatusNoteSchema,
  UpdateEquipmentSchema,
  UpdateEquipmentTypeSchema,
  pageOf,
} from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { expectedVersion, optionalVersion, setEtag } from '../../platform/http/versioning.js';
import * as fleet from './fleet.service.js';

const READ = { roles: ['admin', 'dispatcher', 'viewer'] } as const;
const WRITE = { roles: ['admin', 'dispatcher'] } as const;
const ADMIN = { roles: ['admin'] } as const;
const tags = ['fleet'];

export function fleetRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);

    // --- equipment types
    r.get(
      '/api/v1/equipment-types',
      {
        config: { access: READ },
        schema: {
          tags,
          summary: 'List equipment types',
          querystring: EquipmentTypeListQuerySchema,
          response: { 200: pageOf(EquipmentTypeSchema) },
        },
      },
      (request) => inTenant(request, (tx) => fleet.listEquipmentTypes(tx, request.query)),
    );
    r.post(
      '/api/v1/equipment-types',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Create an equipment type with the qualifications its operator needs',
          body: CreateEquipmentTypeSchema,
          response: { 201: EquipmentTypeSchema },
        },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => fleet.createEquipmentType(tx, caller, request.body));
        setEtag(reply, view.version);
        return reply.status(201).send(view);
      },
    );
    r.get(
      '/api/v1/equipment-types/:id',
      {
        config: { access: READ },
        schema: { tags, summary: 'An equipment type', params: IdParamsSchema, response: { 200: EquipmentTypeSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx) => fleet.getEquipmentType(tx, request.params.id));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.patch(
      '/api/v1/equipment-types/:id',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Update an equipment type (If-Match)',
          params: IdParamsSchema,
          body: UpdateEquipmentTypeSchema,
          response: { 200: EquipmentTypeSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) =>
          fleet.updateEquipmentType(tx, caller, request.params.id, expected, request.body),
        );
        setEtag(reply, view.version);
        return view;
      },
    );
    r.delete(
      '/api/v1/equipment-types/:id',
      {
        config: { access: ADMIN },
        schema: { tags, summary: 'Archive an equipment type (If-Match)', params: IdParamsSchema, response: { 200: EquipmentTypeSchema } },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => fleet.archiveEquipmentType(tx, caller, request.params.id, expected));
        setEtag(reply, view.version);
        return view;
      },
    );

    // --- equipment
    r.get(
      '/api/v1/equipment',
      {
        config: { access: READ },
        schema: { tags, summary: 'List equipment', querystring: EquipmentListQuerySchema, response: { 200: pageOf(EquipmentSchema) } },
      },
      (request) => inTenant(request, (tx, caller) => fleet.listEquipment(tx, caller, request.query)),
    );
    r.post(
      '/api/v1/equipment',
      {
        config: { access: WRITE },
        schema: { tags, summary: 'Add equipment', body: CreateEquipmentSchema, response: { 201: EquipmentSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => fleet.createEquipment(tx, caller, request.body));
        setEtag(reply, view.version);
        return reply.status(201).send(view);
      },
    );
    r.get(
      '/api/v1/equipment/:id',
      {
        config: { access: READ },
        schema: { tags, summary: 'A piece of equipment', params: IdParamsSchema, response: { 200: EquipmentSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx, caller) => fleet.getEquipment(tx, caller, request.params.id));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.patch(
      '/api/v1/equipment/:id',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Update equipment (If-Match)',
          params: IdParamsSchema,
          body: UpdateEquipmentSchema,
          response: { 200: EquipmentSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => fleet.updateEquipment(tx, caller, request.params.id, expected, request.body));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.post(
      '/api/v1/equipment/:id/maintenance',
      {
        config: { access: WRITE },
        schema: {
          tags,
          summary: 'Put equipment in maintenance (damaged), with notes',
          params: IdParamsSchema,
          body: StatusNoteSchema,
          response: { 200: EquipmentSchema },
        },
      },
      async (request, reply) => {
        const expected = optionalVersion(request);
        const view = await inTenant(request, (tx, caller) =>
          fleet.sendToMaintenance(tx, caller, request.params.id, expected, request.body.note),
        );
        setEtag(reply, view.version);
        return view;
      },
    );
    r.post(
      '/api/v1/equipment/:id/return-to-service',
      {
        config: { access: ADMIN },
        schema: {
          tags,
          summary: 'Return equipment to service (admin only)',
          params: IdParamsSchema,
          body: OptionalNoteSchema,
          response: { 200: EquipmentSchema },
        },
      },
      async (request, reply) => {
        const expected = optionalVersion(request);
        const view = await inTenant(request, (tx, caller) =>
          fleet.returnToService(tx, caller, request.params.id, expected, request.body.note ?? null),
        );
        setEtag(reply, view.version);
        return view;
      },
    );
    r.delete(
      '/api/v1/equipment/:id',
      {
        config: { access: ADMIN },
        schema: {
          tags,
          summary: 'Retire equipment (If-Match; never while on a job): equipment is never deleted',
          params: IdParamsSchema,
          response: { 200: EquipmentSchema },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request);
        const view = await inTenant(request, (tx, caller) => fleet.retireEquipment(tx, caller, request.params.id, expected, null));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.post(
      '/api/v1/equipment/:id/retire',
      {
        config: { access: ADMIN },
        schema: {
          tags,
          summary: 'Retire equipment (never while on a job)',
          params: IdParamsSchema,
          body: OptionalNoteSchema,
          response: { 200: EquipmentSchema },
        },
      },
      async (request, reply) => {
        const expected = optionalVersion(request);
        const view = await inTenant(request, (tx, caller) =>
          fleet.retireEquipment(tx, caller, request.params.id, expected, request.body.note ?? null),
        );
        setEtag(reply, view.version);
        return view;
      },
    );
  };
}
