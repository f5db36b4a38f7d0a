import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, preconditionRequired, problemType } from '../errors.js';

/** `ETag: "<version>"` on every read and write of a versioned entity. */
export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', `"${version}"`);
}

/**
 * The one If-Match parser. The version the caller last read, from `If-Match: "<n>"` (weak or
 * strong; a bare number is accepted too). Required on updates: without it a client could overwrite
 * a change it never saw (428); anything but a version is a 400.
 */
export function expectedVersion(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (header === undefined || header === '') throw preconditionRequired();
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(String(header));
  if (!match?.[1]) {
    throw new AppError(400, problemType('validation'), 'Invalid request', 'If-Match must be an ETag like "3"', [
      { field: 'If-Match', message: 'expected an ETag like "3"' },
    ]);
  }
  return Number(match[1]);
}

/** The If-Match version when the caller sent one (routes where it is optional), else undefined. */
export function optionalVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  return header === undefined || header === '' ? undefined : expectedVersion(request);
}
