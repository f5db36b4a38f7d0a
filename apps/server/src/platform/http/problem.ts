import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { FieldError, Problem } from '@yardmaster/contracts';
import { ZodError } from 'zod';
import { AppError, problemType } from '../errors.js';
import { unavailabilityOf, type Unavailability } from '../db/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Omit<Problem, 'instance' | 'requestId'>): FastifyReply {
  const body: Problem = { ...problem, instance: request.url, requestId: String(request.id) };
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** `body.lines.0.quantity` from a zod/ajv path; `querystring.limit` reads `limit` (where: query). */
function fieldName(where: string | undefined, path: string): string {
  const trimmed = path.replace(/^\//, '').replaceAll('/', '.');
  return where && where !== 'body' ? `${where}.${trimmed}`.replace(/\.$/, '') : trimmed || where || '';
}

export function fieldErrorsOf(error: ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

// 22021 (a NUL byte in text) and 22P05 (\u0000 in jsonb): input the schemas should have refused first.
const PG_INVALID_INPUT = new Set(['22P02', '22003', '22007', '22008', '22023', '23502', '23514', '22021', '22P05']);

/**
 * Errors the router raises before any route runs (a malformed percent-encoding, a path parameter
 * over the length limit): Fastify's `frameworkErrors` option, so they are problem+json as well.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void sendProblem(request, reply, {
    type: problemType(status === 414 ? 'uri-too-long' : 'bad-request'),
    title: status === 414 ? 'URI too long' : 'Bad request',
    status,
    detail: status === 414 ? 'a path parameter is too long' : 'the request URL is malformed',
  });
}
/** What a client is told when the database cannot serve it now (see `unavailabilityOf`). */
const UNAVAILABLE: Record<Unavailability['kind'], { type: string; title: string; detail: string }> = {
  unavailable: {
    type: problemType('database-unavailable'),
    title: 'Service unavailable',
    detail: 'the database cannot be reached right now; retry after the delay in Retry-After',
  },
  busy: {
    type: problemType('database-busy'),
    title: 'Service busy',
    detail: 'every database connection is in use; retry after the delay in Retry-After',
  },
  timeout: {
    type: problemType('query-timeout'),
    title: 'Query took too long',
    detail: 'the query ran past its time limit and was cancelled; retry later or narrow the request',
  },
  'outcome-unknown': {
    type: problemType('outcome-unknown'),
    title: 'Outcome unknown',
    detail:
      'the database connection was lost while the change was being committed: it may or may not have been saved. Read it back before retrying, or retry with the same Idempotency-Key',
  },
};

/** Turns every error into application/problem+json; nothing else answers an error. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      return sendProblem(request, reply, {
        type: error.type,
        title: error.title,
        status: error.status,
        detail: error.detail,
        ...(error.errors ? { errors: error.errors } : {}),
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = (error as { validationContext?: string }).validationContext;
      const errors = error.validation.map((v) => ({ field: fieldName(where, v.instancePath), message: v.message ?? 'invalid' }));
      return sendProblem(request, reply, {
        type: problemType('validation'),
        title: 'Invalid request',
        status: 400,
        detail: errors.map((e) => `${e.field || '(request)'}: ${e.message}`).join('; '),
        errors,
      });
    }
    if (error instanceof ZodError) {
      const errors = fieldErrorsOf(error);
      return sendProblem(request, reply, {
        type: problemType('validation'),
        title: 'Invalid request',
        status: 400,
        detail: errors.map((e) => `${e.field || '(request)'}: ${e.message}`).join('; '),
        errors,
      });
    }
    const unavailable = unavailabilityOf(error);
    if (unavailable) {
      // The request was sound; the database could not serve it now. Never a 500, never a hang.
      request.log.warn({ err: error, kind: unavailable.kind }, 'database unavailable');
      reply.header('retry-after', String(unavailable.retryAfterSeconds));
      return sendProblem(request, reply, { ...UNAVAILABLE[unavailable.kind], status: 503 });
    }
    const pgCode = (error as { code?: unknown }).code;
    if (typeof pgCode === 'string' && PG_INVALID_INPUT.has(pgCode)) {
      // A value the schema let through but the database refused: still the caller's input.
      return sendProblem(request, reply, {
        type: problemType('validation'),
        title: 'Invalid request',
        status: 400,
        detail: 'a value is out of the accepted range or format',
      });
    }
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && !isResponseSerializationError(error)) {
      // Fastify's own 4xx (malformed JSON, body too large, unsupported media type…).
      return sendProblem(request, reply, {
        type: problemType(status === 413 ? 'payload-too-large' : status === 415 ? 'unsupported-media-type' : 'bad-request'),
        title: status === 413 ? 'Payload too large' : status === 415 ? 'Unsupported media type' : 'Bad request',
        status,
        detail: error.message,
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, {
      type: problemType('internal'),
      title: 'Internal server error',
      status: 500,
      detail: 'an unexpected error occurred; quote the request id when reporting it',
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, {
      type: problemType('not-found'),
      title: 'Not found',
      status: 404,
      detail: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    }),
  );
}
