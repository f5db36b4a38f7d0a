import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, preconditionRequired, problemType } from '../errors.js';

/** `ETag: "<version>"` on every read and write of a versioned entity. */
export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', `"${version}"`);
}

/**
 * The version the caller last read, from `If-Match: "<n>"` (weak or strong). Required on updates:
 * without it a client could overwrite a change it never saw.
 */
export function expectedVersion(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (header === undefined || header === '') throw preconditionRequired();
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(String(header));
  if (!match?.[1]) {
    throw new AppError(400, problemType('validation'), 'Invalid request', 'If-Match must be an ETag like "3"', [
      { field: 'If-Match', message: 'expected an ETag like "3"' },
    ]);
  }
  return Number(match[1]);
}
